"""The HTTP side both clients share: credentials, retry rules and how answers are read."""

from __future__ import annotations

import email.utils
import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from makeready import wire
from makeready.client.protocol import Call, Op, ServerError, file_part, problem_of

#: Attempts per request: waits for 429/503 and retries of idempotent requests after a
#: connection failure count; a POST is never repeated after the server may have acted on it.
MAX_ATTEMPTS = 8
#: Longest single wait for ``Retry-After`` (s): a server asking for more is obeyed up to this.
MAX_RETRY_AFTER_S = 60.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Renew the access token this long before it expires (s; at most a fifth of its lifetime),
#: so no request carries a stale one.
REFRESH_MARGIN_S = 30.0


@dataclass
class Credentials:
    """How to sign in, and the tokens of the current session.

    Password sign-in (``username`` + ``password``, public client ``client_id``) or client
    credentials (``client_id`` + ``client_secret``). The realm is the server's
    ``MAKEREADY_REALM``.
    """

    username: str | None = None
    password: str | None = None
    client_id: str = "makeready"
    client_secret: str | None = None
    realm: str = "makeready"
    token: wire.Token | None = None
    expires_at: float = 0.0
    csrf: str = ""
    form: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.form = {"client_id": self.client_id}
        if self.client_secret:
            self.form["client_secret"] = self.client_secret
        if self.username is not None:
            self.form.update(grant_type="password", username=self.username, password=self.password or "")
        elif self.client_secret:
            self.form["grant_type"] = "client_credentials"
        else:
            raise ValueError("give a username and password, or a client id and client secret")

    @property
    def token_path(self) -> str:
        """The realm's OpenID Connect token endpoint."""
        return f"/realms/{self.realm}/protocol/openid-connect/token"

    def sign_in(self, *, refresh: bool = False) -> Op[wire.Token]:
        """Get tokens (with the refresh token when ``refresh`` and one is held), then the CSRF cookie."""
        form = self.form
        if refresh and self.token is not None and self.token.refresh_token:
            form = {**self.form, "grant_type": "refresh_token", "refresh_token": self.token.refresh_token}
        body = yield Call("POST", self.token_path, data=form, auth=False)
        self.token = wire.Token.model_validate(body)
        lifetime = self.token.expires_in
        self.expires_at = time.monotonic() + lifetime - min(REFRESH_MARGIN_S, 0.2 * lifetime)
        if not self.csrf:
            self.csrf = str((yield Call("GET", "/api-auth/login", auth=False))["csrftoken"])
        return self.token

    def stale(self) -> bool:
        """Whether the access token is missing or about to expire."""
        return self.token is None or time.monotonic() >= self.expires_at

    def headers(self) -> dict[str, str]:
        """Authorization and CSRF headers of a signed request."""
        assert self.token is not None
        return {"Authorization": f"Bearer {self.token.access_token}", "X-CSRFToken": self.csrf}

    @classmethod
    def from_env(cls) -> Credentials:
        """From MAKEREADY_USER/_PASSWORD, or MAKEREADY_CLIENT_ID/_CLIENT_SECRET, and MAKEREADY_REALM."""
        secret = os.environ.get("MAKEREADY_CLIENT_SECRET")
        user = os.environ.get("MAKEREADY_USER")
        return cls(
            username=user if user is not None or not secret else None,
            password=os.environ.get("MAKEREADY_PASSWORD"),
            client_id=os.environ.get("MAKEREADY_CLIENT_ID", "makeready"),
            client_secret=secret,
            realm=os.environ.get("MAKEREADY_REALM", "makeready"),
        )


def retry_after(reply: httpx.Response) -> float | None:
    """Seconds to wait before repeating a request the server deferred (429, 503); else None."""
    if reply.status_code not in (429, 503):
        return None
    value = reply.headers.get("Retry-After", "1").strip()
    try:
        seconds = float(value)
    except ValueError:  # an HTTP date
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - time.time() if when else 1.0
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


def transport_retry(step: Call, attempt: int, error: httpx.TransportError) -> float:
    """Pause before repeating an idempotent request after a connection failure; re-raise otherwise."""
    if step.method not in _IDEMPOTENT or attempt >= 3:
        raise error
    return float(min(8.0, 0.5 * 2**attempt) * random.uniform(0.8, 1.2))


def request_kwargs(step: Call, headers: dict[str, str], opened: list[IO[bytes]]) -> dict[str, Any]:
    """The httpx keyword arguments of a Call; files given as paths are opened into ``opened``."""

    def open_path(path: Path) -> IO[bytes]:
        handle = path.open("rb")
        opened.append(handle)
        return handle

    for _, given in step.files:  # a repeated request sends the same bytes again
        if isinstance(given, tuple) and hasattr(given[1], "seek"):
            given[1].seek(0)
    kwargs: dict[str, Any] = {"headers": headers}
    for key, value in (("params", step.params), ("json", step.json), ("data", step.data)):
        if value is not None:
            kwargs[key] = value
    if step.files:
        kwargs["files"] = [file_part(name, given, open_path) for name, given in step.files]
    return kwargs


def answer(reply: httpx.Response) -> Any:
    """The JSON of a successful answer (None for 204); ServerError for an error answer."""
    if reply.status_code >= 400:
        raise ServerError(reply.status_code, problem_of(reply))
    if reply.status_code == 204 or not reply.content:
        return None
    return reply.json()


def download_target(target: Path) -> tuple[Path, IO[bytes]]:
    """A temporary file beside ``target``; renamed onto it once the download is complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False)  # noqa: SIM115
    return Path(handle.name), handle
