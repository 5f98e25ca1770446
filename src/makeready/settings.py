"""Every setting of the service, read from ``MAKEREADY_*`` environment variables.

The defaults are the embedded single-machine shape: SQLite in WAL mode and a local blob store
under ``MAKEREADY_DATA_DIR``, the job runner inside ``makeready serve``. Point
``MAKEREADY_DATABASE_URL`` at PostgreSQL to share the state between replicas.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["HEAVY_ROUTES", "Settings", "default_data_dir"]

#: Geometry-heavy job kinds go to their own queue, so light jobs never wait behind them.
HEAVY_ROUTES = {
    "part.analyze": "heavy",
    "mesh.repair": "heavy",
    "tray.prepare": "heavy",
    "tray.generate_printable": "heavy",
    "tray.translate": "heavy",
}


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/makeready`` (``~/.local/share/makeready`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "makeready"


class Settings(BaseSettings):
    """The service's configuration; each field is ``MAKEREADY_<FIELD NAME IN CAPITALS>``."""

    model_config = SettingsConfigDict(env_prefix="MAKEREADY_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="SQLite file, blobs and keys.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite in data_dir.")
    blob_dir: Path | None = Field(None, description="Content-addressed blob store; default data_dir/blobs.")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(None, description="Base URL clients use; default http://host:port.")
    realm: str = Field("makeready", description="The OpenID Connect realm in the token URL.")

    access_token_ttl_s: int = Field(3600, ge=10)
    refresh_token_ttl_s: int = Field(7 * 86400, ge=60)
    session_ttl_s: int = Field(14 * 86400, ge=60)
    external_jwks_url: str | None = Field(None, description="Also accept tokens of this OIDC issuer.")
    external_issuer: str | None = None
    external_audience: str | None = None
    external_scopes: str = Field("read write", description="Scopes granted to external tokens.")

    bootstrap_user: str | None = Field(
        None, description="Created at first start with bootstrap_password (a printed random one when unset)."
    )
    bootstrap_password: str | None = None
    bootstrap_client_id: str | None = None
    bootstrap_client_secret: str | None = None

    jobs: Literal["embedded", "celery"] = Field(
        "embedded", description="Where jobs run: threads of `makeready serve`, or Celery workers."
    )
    workers: int = Field(1, ge=0, description="Embedded job threads (0: jobs wait for an external worker).")
    broker_url: str = Field("redis://127.0.0.1:6379/0", description="Celery broker when jobs=celery.")
    queue_prefix: str = Field("makeready", description="Celery queue names are <prefix>.<queue>.")
    queue_routes: dict[str, str] = Field(
        default_factory=lambda: dict(HEAVY_ROUTES),
        description='Job kind -> queue ("default" when unlisted); JSON in the environment.',
    )
    worker_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Processes per `makeready worker`."
    )
    worker_prefetch: int = Field(1, ge=1, description="Messages a worker process reserves ahead.")
    job_time_limit_s: float = Field(
        3600.0, gt=0, description="Time limit per job: its process is stopped (Celery: the soft limit)."
    )
    job_time_limits: dict[str, float] = Field(
        default_factory=dict, description="Per-kind time limits, overriding job_time_limit_s."
    )
    job_isolation: Literal["process", "thread"] = Field(
        "process",
        description="Embedded jobs run in a child process each (crash and memory isolation) or in the"
        " worker threads themselves (debugging only: a crash in native code takes the server down).",
    )
    job_memory_limit_mb: int = Field(
        8192,
        ge=0,
        description="Memory a job's process may take beyond the loaded code, MiB (0: no limit;"
        " embedded process isolation).",
    )
    job_memory_limits: dict[str, int] = Field(
        default_factory=dict, description="Per-kind memory limits in MiB, overriding job_memory_limit_mb."
    )
    job_redispatch_s: float = Field(
        120.0, gt=0, description="A queued job no worker took for this long is sent to the broker again."
    )
    job_retry_backoff_s: float = Field(2.0, ge=0, description="First retry delay; doubles per attempt.")
    job_max_attempts: int = Field(3, ge=1)
    job_lease_s: float = Field(30.0, gt=0, description="A job whose worker is silent this long is retried.")

    blobs_url: str | None = Field(
        None, description="s3://bucket/prefix for S3-compatible storage; default: blob_dir on local disk."
    )
    s3_endpoint_url: str | None = Field(None, description="S3 endpoint (MinIO, Ceph...); default AWS.")
    s3_region: str | None = None
    db_pool_size: int = Field(10, ge=1, description="Pooled connections per process (PostgreSQL).")
    db_max_overflow: int = Field(30, ge=0, description="Extra connections beyond the pool under load.")
    db_pool_timeout_s: float = Field(30.0, gt=0, description="Wait for a free pooled connection.")
    db_pool_recycle_s: float = Field(1800.0, gt=0, description="Reopen pooled connections this old.")

    max_upload_bytes: int = Field(256 << 20, ge=1024)
    max_triangles: int = Field(5_000_000, ge=12)
    max_batch_parts: int = Field(1000, ge=1, description="Most parts one batch upload may hold.")
    poll_min_interval_s: float = Field(1.0, ge=0, description="Faster polling of one resource gets 429.")
    poll_cache_s: float = Field(0.2, ge=0, description="How long a part's polled state is reused (0: never).")
    redis_url: str | None = Field(
        None,
        description="Redis shared by the API processes (poll limits); default: the Celery broker "
        "when it is Redis, else each process limits on its own.",
    )
    display_max_faces: int = Field(
        300_000, ge=1000, description="The viewer's meshes are decimated above this many triangles."
    )

    secret_key: str | None = Field(
        None,
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts stored printer API keys;"
        " default: data_dir/secret.key, created at first use. Set it on every replica when scaled.",
    )
    printer_timeout_s: float = Field(10.0, gt=0, description="Limit of each status request to a printer.")

    keep_tasks_days: float = Field(
        30.0, gt=0, description="Finished tasks (jobs) older than this are deleted by the retention sweep."
    )
    gc_interval_s: float = Field(
        86400.0, ge=0, description="How often the service sweeps expired tasks and unused blobs (0: never)."
    )
    gc_grace_s: float = Field(
        3600.0, ge=0, description="Blobs written or reused this recently are never swept (uploads in flight)."
    )

    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/makeready.db``."""
        return self.database_url or f"sqlite:///{self.data_dir / 'makeready.db'}"

    def queue_for(self, kind: str) -> str:
        """The Celery queue a job kind is sent to."""
        return f"{self.queue_prefix}.{self.queue_routes.get(kind, 'default')}"

    @property
    def queues(self) -> list[str]:
        """Every queue name jobs may be sent to."""
        return sorted({f"{self.queue_prefix}.default", *(self.queue_for(k) for k in self.queue_routes)})

    def time_limit_for(self, kind: str) -> float:
        """Time limit of a job kind, in seconds."""
        return float(self.job_time_limits.get(kind, self.job_time_limit_s))

    def memory_limit_for(self, kind: str) -> int:
        """Memory limit of a job kind in MiB beyond the loaded code (0: none)."""
        return int(self.job_memory_limits.get(kind, self.job_memory_limit_mb))

    @property
    def blob_path(self) -> Path:
        """Directory of the local blob store."""
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def base_url(self) -> str:
        """Base URL of this service as clients reach it (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def issuer(self) -> str:
        """The ``iss`` of the tokens this service signs (Keycloak's realm URL shape)."""
        return f"{self.base_url}/realms/{self.realm}"
