"""Temporal client with the project's data converter: pydantic JSON, then the encryption codec; failure
messages and stack traces go through the codec too (an error can quote a command's text).

Where the client connects, and how (TLS, mTLS, API key), comes from the SDK's environment configuration
(`temporalio.envconfig`) beside the HAZARDLOOP_ settings, highest first:

1. HAZARDLOOP_TEMPORAL_ADDRESS and HAZARDLOOP_TEMPORAL_NAMESPACE, when set;
2. the `TEMPORAL_*` variables (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, `TEMPORAL_TLS`,
   `TEMPORAL_TLS_CLIENT_CERT_PATH`, `TEMPORAL_TLS_CLIENT_KEY_PATH`, `TEMPORAL_TLS_SERVER_CA_CERT_PATH`,
   `TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_GRPC_META_*`);
3. the profile `TEMPORAL_PROFILE` (default `default`) of the TOML file `TEMPORAL_CONFIG_FILE` (default
   `~/.config/temporalio/temporal.toml`);
4. the embedded dev server, 127.0.0.1:HAZARDLOOP_TEMPORAL_PORT, namespace `default`, no TLS.

An API key turns TLS on (Temporal Cloud). HAZARDLOOP_TEMPORAL_ENVCONFIG=false ignores 2 and 3 (`hazardloop
dev` sets it for its children, so a developer's cloud profile never points them elsewhere).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.envconfig import ClientConfigProfile
from temporalio.runtime import Runtime

from runtime.codec import EncryptionCodec
from runtime.settings import Settings, get_settings
from runtime.tracing import client_interceptors
from store.sealing import KeyRing


def data_converter(settings: Settings | None = None) -> DataConverter:
    """The converter every client, worker and replayer uses (settings default to the environment's)."""
    s = settings or get_settings()
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(KeyRing(s.resolved_seal_key())),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def connect_options(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`Client.connect` keyword arguments (without the data converter), by the precedence above; `env`
    defaults to the process's environment."""
    options: dict[str, Any] = {}
    if settings.temporal_envconfig:
        profile = ClientConfigProfile.load(override_env_vars=env)
        options.update(profile.to_client_connect_config())
    explicit = settings.model_fields_set
    if "temporal_address" in explicit and settings.temporal_address:
        options["target_host"] = settings.temporal_address
    options.setdefault("target_host", settings.resolved_temporal_address)
    if "temporal_namespace" in explicit or "namespace" not in options:
        options["namespace"] = settings.temporal_namespace
    return options


def describe(options: Mapping[str, Any]) -> dict[str, object]:
    """What a log line may say about a connection: where, and whether TLS or a key is used (never the key)."""
    return {
        "temporal": options["target_host"],
        "namespace": options["namespace"],
        "tls": bool(options.get("tls")),
        "api_key": "api_key" in options,
    }


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    return await Client.connect(
        **connect_options(settings),
        data_converter=data_converter(settings),
        runtime=runtime,
        interceptors=client_interceptors(settings),
    )
