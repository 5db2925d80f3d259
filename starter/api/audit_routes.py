"""Audit routes (trail, replay, verify, export). Filled in by the audit work."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    return None
