"""Sign-in: an OpenID Connect token endpoint in Keycloak's shape, and Django-style CSRF login.

``POST /realms/{realm}/protocol/openid-connect/token`` takes the form fields of 3D Spark API's
snippet (``grant_type=password``, ``username``, ``password``, ``client_id``,
``client_secret``) and also ``client_credentials`` and ``refresh_token`` grants (client
credentials may come as HTTP Basic too). ``GET /api-auth/login`` sets the ``csrftoken``
cookie; ``POST /api-auth/login`` signs a browser in with a ``sessionid`` cookie.
"""

from __future__ import annotations

import base64
import secrets
import urllib.parse
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from makeready.service.accounts import check_client, check_password
from makeready.service.auth import CSRF_COOKIE, SESSION_COOKIE, Svc
from makeready.service.problems import ApiError
from makeready.service.state import Services
from makeready.service.tokens import TokenError
from makeready.store.models import ApiClient, User
from makeready.wire import Token

router = APIRouter(tags=["sign-in"])

_OAUTH_ERRORS = {
    "auth.invalid_grant": "invalid_grant",
    "auth.invalid_client": "invalid_client",
    "auth.unsupported_grant_type": "unsupported_grant_type",
    "request.invalid": "invalid_request",
}


def _oauth_error(code: str, message: str) -> ApiError:
    # RFC 6749 clients read "error"/"error_description"; RFC 9457 clients read the rest.
    return ApiError(code, message, error=_OAUTH_ERRORS[code], error_description=message)


def _check_realm(svc: Services, realm: str) -> None:
    if realm != svc.settings.realm:
        raise ApiError("request.not_found", f"no realm {realm!r}")


def _basic_client(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None, None
    try:
        user, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None, None
    return urllib.parse.unquote(user), urllib.parse.unquote(secret)


def _granted(available: str, requested: str | None, client: ApiClient | None) -> str:
    scopes = available.split()
    if client is not None:
        scopes = [s for s in scopes if s in client.scopes.split()]
    if requested:
        wanted = set(requested.split())
        narrowed = [s for s in scopes if s in wanted]
        scopes = narrowed or scopes  # unknown extra scopes ("openid", "profile") are ignored
    return " ".join(scopes)


def _tokens(svc: Services, subject: str, username: str, scopes: str, client_id: str | None) -> dict[str, Any]:
    settings = svc.settings
    access = svc.keys.issue(
        subject, username, scopes, client_id, token_type="Bearer", ttl_s=settings.access_token_ttl_s
    )
    refresh = svc.keys.issue(
        subject, username, scopes, client_id, token_type="Refresh", ttl_s=settings.refresh_token_ttl_s
    )
    return {
        "access_token": access,
        "expires_in": settings.access_token_ttl_s,
        "refresh_expires_in": settings.refresh_token_ttl_s,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "not-before-policy": 0,
        "scope": scopes,
    }


@router.post(
    "/realms/{realm}/protocol/openid-connect/token",
    response_model=Token,
    response_model_exclude_unset=True,
    summary="Get a token (OAuth 2 / OIDC)",
)
def token(
    request: Request,
    svc: Svc,
    realm: str,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    """Access and refresh tokens for the password, client-credentials or refresh-token grant."""
    _check_realm(svc, realm)
    db = svc.db
    basic_id, basic_secret = _basic_client(request)
    client_id, client_secret = client_id or basic_id, client_secret or basic_secret
    client_ok, client = check_client(db, client_id, client_secret)
    if not client_ok:
        raise _oauth_error("auth.invalid_client", "unknown client or wrong client secret")
    if grant_type == "password":
        if not username or password is None:
            raise _oauth_error("request.invalid", "the password grant needs username and password")
        user = check_password(db, username, password)
        if user is None:
            raise _oauth_error("auth.invalid_grant", "invalid user credentials")
        body = _tokens(svc, user.id, user.username, _granted(user.scopes, scope, client), client_id)
    elif grant_type == "client_credentials":
        if client is None:
            raise _oauth_error(
                "auth.invalid_client", "client_credentials needs a registered client and its secret"
            )
        body = _tokens(
            svc,
            f"client:{client.client_id}",
            client.client_id,
            _granted(client.scopes, scope, None),
            client.client_id,
        )
    elif grant_type == "refresh_token":
        if not refresh_token:
            raise _oauth_error("request.invalid", "the refresh_token grant needs refresh_token")
        try:
            claims = svc.keys.verify(refresh_token, "Refresh")
        except TokenError as exc:
            raise _oauth_error("auth.invalid_grant", f"the refresh token was refused: {exc}") from exc
        if client_id and claims.client_id not in (client_id, None):
            raise _oauth_error("auth.invalid_grant", "the refresh token was issued to another client")
        with db.session() as session:
            alive: ApiClient | User | None
            if claims.subject.startswith("client:"):
                alive = session.scalar(select(ApiClient).where(ApiClient.client_id == claims.subject[7:]))
            else:
                alive = session.get(User, claims.subject)
        if alive is None:
            raise _oauth_error("auth.invalid_grant", "the account behind the refresh token no longer exists")
        body = _tokens(
            svc, claims.subject, claims.username, " ".join(sorted(claims.scopes)), claims.client_id
        )
    else:
        raise _oauth_error(
            "auth.unsupported_grant_type",
            f"grant_type {grant_type!r} is not offered; use password, client_credentials or refresh_token",
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/realms/{realm}/protocol/openid-connect/certs", summary="Public signing keys (JWKS)")
def certs(svc: Svc, realm: str) -> dict[str, Any]:
    """The JWK set that verifies this service's tokens."""
    _check_realm(svc, realm)
    return svc.keys.jwks()


@router.get("/realms/{realm}/.well-known/openid-configuration", summary="OpenID Connect discovery")
def discovery(svc: Svc, realm: str) -> dict[str, Any]:
    """Where the token endpoint and keys are, and what they support."""
    _check_realm(svc, realm)
    issuer = svc.settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/protocol/openid-connect/token",
        "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
        "grant_types_supported": ["password", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["read", "write", "admin"],
    }


def _csrf_cookie(request: Request, response: Response) -> str:
    value = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(48)
    # Readable by scripts on purpose (they copy it into X-CSRFToken), as Django's is.
    response.set_cookie(CSRF_COOKIE, value, max_age=365 * 86400, samesite="lax", httponly=False)
    return value


@router.get("/api-auth/login", summary="Get the csrftoken cookie")
@router.get("/api-auth/login/", include_in_schema=False)
def csrf(request: Request, response: Response) -> dict[str, str]:
    """Set (or keep) the ``csrftoken`` cookie; its value is also in the body."""
    return {"csrftoken": _csrf_cookie(request, response)}


@router.post("/api-auth/login", summary="Sign a browser in (session cookie)")
@router.post("/api-auth/login/", include_in_schema=False)
def login(
    request: Request,
    svc: Svc,
    response: Response,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrfmiddlewaretoken: Annotated[str | None, Form()] = None,
) -> dict[str, str]:
    """Check the password and set the ``sessionid`` cookie (CSRF token required, as in Django)."""
    sent = request.headers.get("x-csrftoken") or csrfmiddlewaretoken or ""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not sent or not expected or not secrets.compare_digest(sent, expected):
        raise ApiError("auth.csrf_failed", "GET /api-auth/login first and send its csrftoken back")
    user = check_password(svc.db, username, password)
    if user is None:
        raise ApiError("auth.invalid_grant", "invalid user credentials")
    session = svc.keys.issue(
        user.id, user.username, user.scopes, None, token_type="Session", ttl_s=svc.settings.session_ttl_s
    )
    response.set_cookie(
        SESSION_COOKIE, session, max_age=svc.settings.session_ttl_s, httponly=True, samesite="lax"
    )
    return {"username": user.username, "csrftoken": _csrf_cookie(request, response)}


@router.post("/api-auth/logout", summary="Sign a browser out")
def logout(response: Response) -> dict[str, str]:
    """Delete the session cookie."""
    response.delete_cookie(SESSION_COOKIE)
    return {"detail": "signed out"}
