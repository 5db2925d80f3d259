"""Temporal client with the project's data converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from starter.settings import Settings


def data_converter() -> DataConverter:
    return pydantic_data_converter


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(),
    )
