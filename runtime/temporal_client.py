"""Temporal client with the project's data converter: pydantic JSON, then the encryption codec; failure
messages and stack traces go through the codec too (an error can quote a command's text)."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from runtime.codec import EncryptionCodec
from runtime.settings import Settings, get_settings
from store.sealing import KeyRing


def data_converter(settings: Settings | None = None) -> DataConverter:
    """The converter every client, worker and replayer uses (settings default to the environment's)."""
    s = settings or get_settings()
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(KeyRing(s.resolved_seal_key())),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.resolved_temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
    )
