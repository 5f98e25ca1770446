"""RFC 9457 problem details for every error, with the library's stable codes.

Each response is ``application/problem+json``::

    {"type": "/errors/file.truncated", "title": "the file ends before …", "status": 422,
     "detail": "…", "instance": "/api/v1/part/", "code": "file.truncated",
     "error_id": "…", "message": "…"}

``code``, ``error_id`` and ``message`` are also 3D Print API's error fields, so its clients read
them unchanged. ``GET /errors/{code}`` explains a code. Nothing escapes as a bare 500: an
unexpected exception becomes ``internal.error`` with an ``error_id`` that is also logged.
"""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from makeready.errors import ERROR_CODES, MakereadyError
from makeready.jsonsafe import json_ready

__all__ = ["PROBLEM_JSON", "ApiError", "install", "problem", "status_of"]

PROBLEM_JSON = "application/problem+json"
_log = structlog.get_logger("makeready.service")

#: HTTP status per code or code family ("file.*"); the first match wins.
_STATUS = {
    "file.too_large": 413,
    "file.too_many_triangles": 413,
    "file.unsupported_format": 415,
    "request.unsupported_media_type": 415,
    "file.not_found": 404,
    "request.not_found": 404,
    "request.method_not_allowed": 405,
    "request.rate_limited": 429,
    "part.not_analysed": 409,
    "auth.required": 401,
    "auth.invalid_token": 401,
    "auth.invalid_grant": 401,
    "auth.invalid_client": 401,
    "auth.unsupported_grant_type": 400,
    "auth.insufficient_scope": 403,
    "auth.csrf_failed": 403,
    "request.malformed": 400,
    "tray.not_ready": 409,
    "server.unreachable": 502,
    "printer.unreachable": 502,
    "printer.unauthorized": 502,
    "printer.error": 502,
    "printer.not_ready": 409,
    "printer.busy": 409,
    "printer.unsupported_file": 415,
    "printer.secret_unreadable": 503,
    "internal.error": 500,
}


def status_of(code: str) -> int:
    """The HTTP status for a code: 422 (unprocessable input) unless listed otherwise."""
    return _STATUS.get(code, 422)


class ApiError(Exception):
    """An error the service raises itself (auth, limits, not found) with a stable code."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unregistered error code {code!r}")
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or status_of(code)
        self.headers = headers or {}
        self.extra = extra


def problem(
    code: str,
    message: str,
    *,
    status: int | None = None,
    instance: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response for ``code``."""
    status = status or status_of(code)
    body = {
        "type": f"/errors/{code}",
        "title": ERROR_CODES.get(code, code),
        "status": status,
        "detail": message,
        "instance": instance,
        "code": code,
        "error_id": str(uuid.uuid4()),
        "message": message,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn every failure into problem JSON."""

    @app.exception_handler(MakereadyError)
    async def _library(request: Request, exc: MakereadyError) -> JSONResponse:
        return problem(exc.code, exc.message, instance=request.url.path, details=json_ready(exc.details))

    @app.exception_handler(ApiError)
    async def _service(request: Request, exc: ApiError) -> JSONResponse:
        return problem(
            exc.code,
            exc.message,
            status=exc.status,
            instance=request.url.path,
            headers=exc.headers,
            **json_ready(exc.extra),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(
            "request.invalid", f"the request is not valid: {where}", instance=request.url.path, errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            404: "request.not_found",
            405: "request.method_not_allowed",
            413: "file.too_large",
            415: "request.unsupported_media_type",
            401: "auth.required",
            400: "request.malformed",  # Starlette's multipart/form parser gave up on the body
        }
        code = codes.get(exc.status_code, "request.invalid")
        return problem(
            code,
            str(exc.detail),
            status=exc.status_code,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        response = problem(
            "internal.error", "an unexpected error occurred; it has been logged", instance=request.url.path
        )
        _log.exception("unhandled error", path=request.url.path, error_id=response.headers.get("x-error-id"))
        return response
