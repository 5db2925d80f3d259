"""The API as an import string for uvicorn (`uvicorn starter.api.factory:app_factory --factory`, or
`hazardloop api --workers N`): each server process builds the app from the environment's settings."""

from __future__ import annotations

from fastapi import FastAPI

from runtime.logging import configure_logging
from runtime.settings import get_settings
from starter.api.app import create_app
from starter.shared_keys import require_secrets


def app_factory() -> FastAPI:
    s = get_settings()
    require_secrets(s, "api", "api")
    configure_logging(s.log_level, json=s.log_json)
    return create_app(s)
