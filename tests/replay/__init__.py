"""Replay of recorded histories against the current workflow code (every CI run)."""
