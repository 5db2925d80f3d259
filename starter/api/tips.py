"""Tip routes (DOMAIN.md §3). Placeholder until the tip loop lands: officers use the generic routes."""

from fastapi import FastAPI

from starter.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    return None
