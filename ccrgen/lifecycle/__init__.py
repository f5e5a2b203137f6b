"""Stages 4 and 5, plan -> install: what a build would change (plan, diff, diff_report),
applying it atomically with backups (install), and the record that makes it undoable
(history)."""
