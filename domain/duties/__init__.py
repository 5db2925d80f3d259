"""Duties with a clock that fall on people every day, between cases (issue 19): the daily self-inspection
report (daily.py)."""
