"""Temporal workflows: one class per case kind on one shared loop (workflows/case.py).

Modules here have no side effects at import and import domain/activities through the sandbox's
pass-through (see worker.py).
"""
