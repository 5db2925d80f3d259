"""Secured Temporal connections (issue #20): the connect options come from the SDK's environment
configuration (`TEMPORAL_*` variables, TOML profiles) beside the HAZARDLOOP_ settings, and a client built
from them reaches a cluster that requires TLS and a client certificate (the dev server behind a
TLS-terminating proxy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from runtime.settings import Settings
from runtime.temporal_client import connect_options, describe
from tests.support.tls import make_pki, tls_proxy


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_without_configuration_the_embedded_server() -> None:
    opts = connect_options(_settings(temporal_port=7999), env={"TEMPORAL_CONFIG_FILE": "/nonexistent.toml"})
    assert opts == {"target_host": "127.0.0.1:7999", "namespace": "default"}


def test_temporal_variables_give_address_namespace_api_key_and_tls() -> None:
    env = {
        "TEMPORAL_ADDRESS": "ns1.acct.tmprl.cloud:7233",
        "TEMPORAL_NAMESPACE": "ns1.acct",
        "TEMPORAL_API_KEY": "secret-key",
        "TEMPORAL_TLS_SERVER_NAME": "ns1.acct.tmprl.cloud",
    }
    opts = connect_options(_settings(), env=env)
    assert opts["target_host"] == "ns1.acct.tmprl.cloud:7233"
    assert opts["namespace"] == "ns1.acct"
    assert opts["api_key"] == "secret-key"
    assert isinstance(opts["tls"], TLSConfig) and opts["tls"].domain == "ns1.acct.tmprl.cloud"
    assert describe(opts) == {
        "temporal": "ns1.acct.tmprl.cloud:7233",
        "namespace": "ns1.acct",
        "tls": True,
        "api_key": True,
    }


def test_an_api_key_alone_turns_tls_on() -> None:
    opts = connect_options(_settings(temporal_address="cloud:7233"), env={"TEMPORAL_API_KEY": "k"})
    assert opts["tls"] is True and opts["api_key"] == "k"


def test_hazardloop_settings_win_over_temporal_variables_and_the_profile(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("CA")
    config = tmp_path / "temporal.toml"
    config.write_text(
        "[profile.prod]\n"
        'address = "from-profile:7233"\nnamespace = "profile-ns"\n'
        "[profile.prod.tls]\n"
        f'server_ca_cert_path = "{tmp_path / "ca.pem"}"\n'
    )
    env = {"TEMPORAL_CONFIG_FILE": str(config), "TEMPORAL_PROFILE": "prod"}
    from_profile = connect_options(_settings(), env=env)
    assert (from_profile["target_host"], from_profile["namespace"]) == ("from-profile:7233", "profile-ns")
    assert from_profile["tls"].server_root_ca_cert == b"CA"

    overridden = connect_options(_settings(), env={**env, "TEMPORAL_ADDRESS": "from-env:7233"})
    assert overridden["target_host"] == "from-env:7233"

    ours = connect_options(_settings(temporal_address="ours:7233", temporal_namespace="our-ns"), env=env)
    assert (ours["target_host"], ours["namespace"]) == ("ours:7233", "our-ns")
    assert ours["tls"].server_root_ca_cert == b"CA"  # TLS still from the profile

    off = connect_options(_settings(temporal_envconfig=False, temporal_port=7999), env=env)
    assert off == {"target_host": "127.0.0.1:7999", "namespace": "default"}


async def test_mutual_tls_to_a_secured_cluster(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    pki = make_pki(tmp_path)
    upstream = dev_env.client.service_client.config.target_host
    async with tls_proxy(pki, upstream, require_client_cert=True) as address:
        env = {
            "TEMPORAL_CONFIG_FILE": str(tmp_path / "none.toml"),
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pki.ca_cert),
            "TEMPORAL_TLS_SERVER_NAME": "localhost",
            "TEMPORAL_TLS_CLIENT_CERT_PATH": str(pki.client_cert),
            "TEMPORAL_TLS_CLIENT_KEY_PATH": str(pki.client_key),
        }
        client = await Client.connect(**connect_options(_settings(temporal_address=address), env=env))
        assert await client.service_client.check_health()

        # the same cluster refuses a client without a certificate, and a plaintext one
        no_cert = {k: v for k, v in env.items() if "CLIENT" not in k}
        with pytest.raises(RuntimeError):
            await Client.connect(**connect_options(_settings(temporal_address=address), env=no_cert))
        with pytest.raises(RuntimeError):
            await Client.connect(
                **connect_options(_settings(temporal_address=address, temporal_envconfig=False))
            )
