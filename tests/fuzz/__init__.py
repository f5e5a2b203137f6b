"""Fuzz suites (hypothesis); profiles in conftest.py. A package, so that its conftest does not
shadow tests/conftest.py for `from conftest import ...`."""
