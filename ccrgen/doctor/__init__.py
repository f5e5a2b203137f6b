"""`ccrgen doctor`: checks (checks.py) of what probe.py reads off the machine, reported by report.py."""
