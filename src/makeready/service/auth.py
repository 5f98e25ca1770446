"""Who is asking: bearer tokens, session cookies with CSRF, and scopes.

* ``Authorization: Bearer <jwt>`` — a token from the token endpoint (or an external issuer).
  Such requests need no CSRF token (a browser cannot forge the header), but 3D Spark API's snippet
  sends one anyway, which is accepted.
* ``sessionid`` cookie — set by ``POST /api-auth/login``. Unsafe methods must then carry the
  ``csrftoken`` cookie's value in ``X-CSRFToken`` (Django's double-submit rule).

Scopes: ``read`` for GET, ``write`` for changes, ``admin`` for the service's own management.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from makeready.service.problems import ApiError
from makeready.service.state import Services
from makeready.service.tokens import TokenError

__all__ = [
    "SAFE_METHODS",
    "Principal",
    "Reader",
    "Svc",
    "Writer",
    "authenticate",
    "reader",
    "services",
    "writer",
]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE, CSRF_COOKIE, CSRF_HEADER = "sessionid", "csrftoken", "x-csrftoken"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="makeready"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in caller: ``owner`` keys every resource they create."""

    owner: str
    username: str
    scopes: frozenset[str]
    via: str


def services(request: Request) -> Services:
    """The process's shared services."""
    return request.app.state.services  # type: ignore[no-any-return]


#: A route's parameter for the process's shared services (``svc: Svc``).
Svc = Annotated[Services, Depends(services)]


def authenticate(request: Request) -> Principal:
    """The caller behind a request; 401 (or 403 for CSRF) problems otherwise."""
    keys = services(request).keys
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError("auth.invalid_token", "use 'Authorization: Bearer <token>'", headers=_CHALLENGE)
        try:
            claims = keys.verify(token.strip(), "Bearer")
        except TokenError as exc:
            raise ApiError(
                "auth.invalid_token",
                f"the token was refused: {exc}",
                headers={"WWW-Authenticate": 'Bearer realm="makeready", error="invalid_token"'},
            ) from exc
        return Principal(claims.subject, claims.username, claims.scopes, "bearer")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            claims = keys.verify(cookie, "Session")
        except TokenError as exc:
            raise ApiError(
                "auth.invalid_token", f"the session is not valid: {exc}", headers=_CHALLENGE
            ) from exc
        if request.method not in SAFE_METHODS:
            sent, expected = request.headers.get(CSRF_HEADER, ""), request.cookies.get(CSRF_COOKIE, "")
            if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
                raise ApiError(
                    "auth.csrf_failed",
                    "send the csrftoken cookie's value in the X-CSRFToken header "
                    "(GET /api-auth/login sets the cookie)",
                )
        return Principal(claims.subject, claims.username, claims.scopes, "session")
    raise ApiError("auth.required", "this endpoint needs a bearer token or a session", headers=_CHALLENGE)


def _require(request: Request, scope: str) -> Principal:
    principal = authenticate(request)
    if scope not in principal.scopes and "admin" not in principal.scopes:
        raise ApiError("auth.insufficient_scope", f"this request needs the {scope!r} scope")
    return principal


def reader(request: Request) -> Principal:
    """Dependency: a caller with the ``read`` scope."""
    return _require(request, "read")


def writer(request: Request) -> Principal:
    """Dependency: a caller with the ``write`` scope."""
    return _require(request, "write")


#: Route parameter types: the signed-in caller with the scope the route needs.
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
