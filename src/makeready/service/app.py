"""The FastAPI application: both external API families over the library, the stores and the jobs.

``create_app()`` reads :class:`~makeready.settings.Settings` from ``MAKEREADY_*`` variables;
at start-up it migrates the database, loads or creates the signing key, creates the bootstrap
user and client when configured, and starts the embedded job runner (``workers`` threads).
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from sqlalchemy import select

from makeready import __version__
from makeready.errors import MakereadyError
from makeready.jobs.runner import EmbeddedRunner, JobRunner
from makeready.service import problems
from makeready.service.accounts import create_client, create_user
from makeready.service.limits import BodyLimit
from makeready.service.observability import JobCollector, Metrics, MetricsMiddleware, configure_logging
from makeready.service.pollcache import poll_cache
from makeready.service.ratelimit import poll_limiter
from makeready.service.retention import RetentionSweeper
from makeready.service.routes import (
    batches,
    catalog,
    files,
    health,
    meshes,
    oidc,
    parts,
    printdb,
    printers,
    tasks,
    trays,
)
from makeready.service.state import Services
from makeready.service.tokens import KeyRing
from makeready.service.viewer import ViewerFiles, viewer_page
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.connect import open_blobs, open_database
from makeready.store.db import Database
from makeready.store.models import ApiClient, User

__all__ = ["create_app"]

_log = structlog.get_logger("makeready.service")
_MULTIPART_OVERHEAD = 64 * 1024

_DESCRIPTION = """
Manufacturing analysis and 3D-print preparation, self-hosted.

* **3D Spark API (manufacturing analysis)** — `POST /realms/{realm}/protocol/openid-connect/token`,
  `GET /api-auth/login`, `POST /api/v1/part/`, poll `GET /api/v1/analysisResult/{part_id}/`.
* **3D Print API (print preparation)** — files, meshes, trays and tasks under `/api/v1`, lengths in cm.

Errors are RFC 9457 problem JSON with a stable `code` (see `GET /errors`).
"""


def _bootstrap(db: Database, settings: Settings) -> None:
    """Create the configured first user and client once (later starts leave them alone)."""
    with db.session() as session:
        has_user = settings.bootstrap_user and session.scalar(
            select(User).where(User.username == settings.bootstrap_user)
        )
        has_client = settings.bootstrap_client_id and session.scalar(
            select(ApiClient).where(ApiClient.client_id == settings.bootstrap_client_id)
        )
    try:
        if settings.bootstrap_user and not has_user:
            password = settings.bootstrap_password or secrets.token_urlsafe(12)
            create_user(db, settings.bootstrap_user, password, "read write admin")
            _log.info("bootstrap user created", username=settings.bootstrap_user)
            if not settings.bootstrap_password:  # shown once, to the person who started the server
                sys.stderr.write(f"created user {settings.bootstrap_user!r} with password {password!r}\n")
        if settings.bootstrap_client_id and not has_client:
            create_client(db, settings.bootstrap_client_id, settings.bootstrap_client_secret, "read write")
            _log.info("bootstrap client created", client_id=settings.bootstrap_client_id)
    except MakereadyError as exc:  # a replica may have created them a moment ago
        _log.warning("bootstrap skipped", reason=exc.message)


def _job_runner(db: Database, blobs: BlobStore, settings: Settings) -> JobRunner | None:
    """Celery dispatch, embedded threads, or nothing (``workers=0``: another process runs jobs)."""
    if settings.jobs == "celery":
        from makeready.jobs.celery import CeleryDispatcher  # Celery loads only in the scaled mode

        return CeleryDispatcher(db, settings)
    if settings.workers > 0:
        return EmbeddedRunner(db, blobs, settings)
    return None


def create_app(settings: Settings | None = None) -> FastAPI:
    """The ASGI application for ``settings`` (default: from the environment)."""
    settings = settings or Settings()
    configure_logging(settings.log_format, settings.log_level)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = open_database(settings)
        db.migrate()
        blobs = open_blobs(settings, create=True)
        _bootstrap(db, settings)
        svc = Services(
            settings,
            db,
            blobs,
            KeyRing(db, settings),
            poll_limiter(settings),
            polls=poll_cache(settings),
        )
        svc.started = time.time()
        metrics.registry.register(JobCollector(db))
        svc.runner = _job_runner(db, blobs, settings)
        if svc.runner is not None:
            svc.runner.start()
        retention = RetentionSweeper(db, blobs, settings)
        retention.start()
        app.state.services = svc
        _log.info(
            "makeready serving",
            url=settings.base_url,
            database=db.backend,
            blobs=blobs.describe(),
            jobs=svc.runner.describe() if svc.runner is not None else "external workers",
        )
        try:
            yield
        finally:
            retention.stop()
            if svc.runner is not None:
                svc.runner.stop()
            db.dispose()
            _log.info("makeready stopped")

    app = FastAPI(
        title="makeready",
        version=__version__,
        description=_DESCRIPTION,
        lifespan=lifespan,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    app.state.metrics = metrics
    problems.install(app)
    for module in (health, oidc, parts, batches, catalog, files, meshes, trays, tasks, printdb, printers):
        app.include_router(module.router)

    @app.get(
        "/", tags=["operations"], summary="Where to start (the web viewer for browsers)", response_model=None
    )
    def root(request: Request) -> dict[str, Any] | Response:
        """Browsers (``Accept: text/html``) get the web viewer; API clients get this JSON."""
        if "text/html" in request.headers.get("accept", ""):
            return viewer_page()
        return {
            "name": "makeready",
            "version": __version__,
            "docs": "/docs",
            "viewer": "/viewer/",
            "openapi": "/openapi.json",
            "realm": settings.realm,
            "client_id": "makeready",
            "token_endpoint": f"/realms/{settings.realm}/protocol/openid-connect/token",
        }

    app.get("/viewer/", include_in_schema=False)(viewer_page)
    app.mount("/viewer", ViewerFiles(), name="viewer")

    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
