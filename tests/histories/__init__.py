"""Recorded workflow histories (JSON) replayed by tests/replay on every run; `record.py` writes them."""
