"""Liveness, readiness, metrics, version and the error-code directory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from makeready import __version__
from makeready.errors import ERROR_CODES
from makeready.service.auth import Svc
from makeready.service.problems import ApiError, status_of

router = APIRouter(tags=["operations"])


@router.get("/livez", summary="The process is up")
def livez() -> dict[str, str]:
    """Always ``{"status": "ok"}`` while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="Database, blob store and job runner are usable")
def readyz(svc: Svc) -> JSONResponse:
    """200 when every dependency answers, else 503 with the failing checks named."""
    checks: dict[str, Any] = {}
    for name, probe in (("database", svc.db.ping), ("blob_store", svc.blobs.check)):
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # a readiness probe reports failures, it does not raise them
            checks[name] = f"failed: {type(exc).__name__}: {exc}"
    if svc.runner is None:
        checks["job_runner"] = "external"
    else:
        checks["job_runner"] = "ok" if svc.runner.healthy else "failed: job runner threads stopped"
    ready = all(v in ("ok", "external") for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Request counts and latencies, job counts by kind and status (text exposition format)."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/version", summary="makeready's version")
def version() -> dict[str, str]:
    """The package version."""
    return {"version": __version__}


@router.get("/errors/{code}", summary="What an error code means")
def error_code(code: str) -> dict[str, Any]:
    """The meaning and HTTP status of a stable error code (the ``type`` of problem JSON)."""
    if code not in ERROR_CODES:
        raise ApiError("request.not_found", f"no error code {code!r}; see /errors")
    return {"code": code, "title": ERROR_CODES[code], "status": status_of(code)}


@router.get("/errors", summary="Every error code")
def error_codes() -> list[dict[str, Any]]:
    """All stable error codes with meaning and HTTP status."""
    return [{"code": c, "title": t, "status": status_of(c)} for c, t in ERROR_CODES.items()]
