"""Configuration: environment variables with the HAZARDLOOP_ prefix, or a `.env` file.

The embedded default needs none of them; pointing at an external Temporal and PostgreSQL (the
docker-compose deployment) needs HAZARDLOOP_TEMPORAL_ADDRESS and HAZARDLOOP_DATABASE_URL and the secrets
every replica shares, HAZARDLOOP_SEAL_KEY and (the API) HAZARDLOOP_JWT_SECRET (runtime/keys.py).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HAZARDLOOP_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".hazardloop")
    api_host: str = "127.0.0.1"
    api_port: int = 8000

    temporal_address: str | None = Field(default=None, description="host:port of an external Temporal")
    temporal_namespace: str = "default"
    temporal_task_queue: str = "hazardloop"
    temporal_port: int = Field(default=7233, description="embedded dev server port; its UI is port + 1000")
    temporal_envconfig: bool = Field(
        default=True, description="also read TEMPORAL_* variables and profile (TLS, mTLS, API key)"
    )

    database_url: str | None = Field(default=None, description="postgresql+asyncpg://… of an external DB")
    postgres_port: int = Field(default=5433, description="embedded PostgreSQL port")
    # the connection pool of each process (store/db.py); its sum over processes must fit max_connections
    database_pool_size: int = Field(default=10, ge=1, description="connections kept per process")
    database_max_overflow: int = Field(default=20, ge=0, description="more opened under load, then closed")
    database_pool_timeout: float = Field(default=30.0, gt=0, description="seconds a checkout waits")
    database_pool_recycle: int = Field(default=1800, description="seconds before a connection is replaced")
    database_pgbouncer: bool = Field(
        default=False, description="behind PgBouncer in transaction mode: no statement cache, no pool"
    )

    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    jwt_jwks_cache_seconds: float = Field(
        default=300.0, gt=0, description="how long fetched JWKS keys are kept"
    )
    jwt_jwks_min_refresh_seconds: float = Field(
        default=10.0, ge=0, description="at most one refetch for an unknown key id in this many seconds"
    )

    # console sign-in through OpenID Connect (authorization code + PKCE); unset: demo users on the dev secret
    oidc_issuer: str | None = Field(default=None, description="issuer URL (its discovery document is read)")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile"
    oidc_claims: str = Field(
        default="role=role,region=region,enterprise_id=enterprise_id,name=name",
        description="actor field=claim name, comma-separated",
    )

    policy: str = Field(default="cn-national", description="policy pack id (file in policies/) or path")
    policy_dir: Path = Path(str(files("policies")))  # the packs shipped with the code (package data)

    seal_key: str | None = Field(default=None, description="base64 key(s) sealing tip reporter identity")
    log_level: str = "INFO"
    log_json: bool = True
    tip_rate_limit_per_minute: int = 10
    # the largest request body the API reads (bytes): a larger one is 413 before it is held in memory
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    rate_limit_storage: str = Field(
        default="memory://", description="`limits` storage URI: memory:// (one process) or redis://host:port"
    )
    metrics_token: str | None = Field(
        default=None, description="bearer token for /metrics on the API port; unset: not served there"
    )
    metrics_port: int | None = Field(default=None, description="serve /metrics without a token on this port")
    otel_enabled: bool = Field(
        default=False,
        description="OpenTelemetry tracing (extra `otel`); exporter and service name from the OTEL_* env",
    )
    worker_metrics_address: str | None = Field(
        default=None, description="host:port where a worker serves Prometheus metrics (SDK's, deliveries)"
    )
    codec_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated origins of Temporal Web UIs that call /codec (default: the embedded UI)",
    )
    blob_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1, description="largest evidence upload")
    blob_s3_endpoint: str | None = Field(default=None, description="S3-compatible endpoint; unset: data dir")
    blob_s3_bucket: str = "hazardloop-evidence"
    blob_s3_access_key: str | None = None
    blob_s3_secret_key: str | None = None
    blob_s3_region: str = "us-east-1"
    blob_public_rate_limit_per_minute: int = Field(default=10, ge=1, description="public tip uploads")
    export_max_rows: int = Field(default=10_000, ge=1, description="rows of one ledger export at most")
    trusted_proxies: Annotated[list[IPvAnyNetwork], NoDecode] = Field(
        default_factory=list, description="comma-separated proxy addresses/CIDRs whose X-Forwarded-For counts"
    )

    # delivery of notifications (notify/delivery.py): e-mail when smtp_host is set, signed webhooks always
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "hazardloop@localhost"
    webhook_allow_private: bool = Field(
        default=False, description="let webhooks reach loopback / private addresses (local receivers)"
    )
    delivery_max_attempts: int = Field(default=6, ge=1)
    delivery_backoff_seconds: float = Field(default=30.0, gt=0)
    outbox_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="the idle drainer's fallback poll (a worker's commits wake it)",
    )

    @field_validator("trusted_proxies", "codec_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, v: object) -> object:
        return [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else v

    @property
    def temporal_ui_port(self) -> int:
        return self.temporal_port + 1000

    @property
    def resolved_codec_cors_origins(self) -> list[str]:
        """The configured Temporal Web UI origins, or the embedded dev server's UI."""
        port = self.temporal_ui_port
        return self.codec_cors_origins or [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"postgresql+asyncpg://postgres@127.0.0.1:{self.postgres_port}/hazardloop"

    def database_options(self) -> dict[str, Any]:
        """`store.db.make_engine` keyword arguments: the pool and the PgBouncer mode."""
        return {
            "pool_size": self.database_pool_size,
            "max_overflow": self.database_max_overflow,
            "pool_timeout": self.database_pool_timeout,
            "pool_recycle": self.database_pool_recycle,
            "pgbouncer": self.database_pgbouncer,
        }

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or a dev secret generated once and kept in the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        path = self.ensure_data_dir() / "jwt-secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_metrics_token(self) -> str:
        """The configured /metrics token, or a dev token kept in the data dir (`hazardloop dev`)."""
        return self.metrics_token or self._dev_secret("metrics-token")

    def _dev_secret(self, name: str) -> str:
        path = self.ensure_data_dir() / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_seal_key(self) -> str:
        """Configured sealing key(s) (comma-separated, newest first), or a dev key kept in the data dir."""
        if self.seal_key:
            return self.seal_key
        path = self.ensure_data_dir() / "seal-key"
        if not path.exists():
            import base64

            path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
