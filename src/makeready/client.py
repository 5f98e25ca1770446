"""A Python client of a makeready server (httpx): sign-in, CSRF, polite polling.

This first cut covers what the batch screening needs — password or client-credentials
sign-in with token refresh, the CSRF cookie, uploads, and waiting for results with polling
that backs off and honours ``Retry-After`` — and is the base the full SDK grows from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from makeready.errors import MakereadyError

__all__ = ["Client", "ServerError"]


class ServerError(Exception):
    """A problem-JSON answer of the server: ``status``, ``code`` and the problem body."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body


class Client:
    """A signed-in session with one server.

    Parameters
    ----------
    url : str
        Base URL, e.g. ``http://127.0.0.1:8000``.
    username, password : str, optional
        Password sign-in (with ``client_id``, default the public client ``makeready``).
    client_id, client_secret : str, optional
        Client-credentials sign-in when no username is given.
    realm : str
        The server's realm (``MAKEREADY_REALM``).
    timeout : float
        Seconds per request.

    """

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "makeready",
        client_secret: str | None = None,
        realm: str = "makeready",
        timeout: float = 120.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)
        self._form: dict[str, str] = {"client_id": client_id}
        if client_secret:
            self._form["client_secret"] = client_secret
        if username is not None:
            self._form.update(grant_type="password", username=username, password=password or "")
        elif client_secret:
            self._form["grant_type"] = "client_credentials"
        else:
            raise ValueError("give a username and password, or a client id and secret")
        self._token_url = f"/realms/{realm}/protocol/openid-connect/token"
        self._token, self._expires = "", 0.0
        self._sign_in(self._form)
        csrf = self._http.get("/api-auth/login").cookies.get("csrftoken") or ""
        self._http.cookies.set("csrftoken", csrf)
        self._csrf = csrf

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _sign_in(self, form: dict[str, str]) -> None:
        reply = self._http.post(self._token_url, data=form)
        body = self._json(reply)
        self._token = body["access_token"]
        self._expires = time.monotonic() + float(body.get("expires_in", 300)) - 30.0
        self._refresh: str | None = body.get("refresh_token")

    def _headers(self) -> dict[str, str]:
        if time.monotonic() >= self._expires:  # renew before the token runs out
            if self._refresh:
                self._sign_in({**self._form, "grant_type": "refresh_token", "refresh_token": self._refresh})
            else:
                self._sign_in(self._form)
        return {"Authorization": f"Bearer {self._token}", "X-CSRFToken": self._csrf}

    @staticmethod
    def _json(reply: httpx.Response) -> Any:
        if reply.status_code >= 400:
            try:
                body = reply.json()
            except ValueError:
                body = {"detail": reply.text[:500]}
            code = body.get("code") or body.get("error") or "http.error"
            raise ServerError(reply.status_code, str(code), str(body.get("detail", "")), body)
        return reply.json()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One signed request; waits out ``429 Retry-After`` answers; JSON body or ServerError."""
        for _ in range(20):
            reply = self._http.request(method, path, headers=self._headers(), **kwargs)
            if reply.status_code != 429:
                return self._json(reply)
            time.sleep(min(30.0, float(reply.headers.get("Retry-After", "1"))))
        return self._json(reply)

    def create_batch(
        self,
        paths: Sequence[Path],
        *,
        mat_name: str = "316L",
        prc_acronym: str = "slm",
        lot_size: int = 1,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Upload part files and zips as one batch; ``{batch_id, parts, refused}``."""
        with ExitStack() as stack:
            files = [
                ("files", (Path(p).name, stack.enter_context(Path(p).open("rb")), "application/octet-stream"))
                for p in paths
            ]
            data: dict[str, Any] = {
                "mat_name": mat_name,
                "prc_acronym": prc_acronym,
                "lot_size": str(lot_size),
            }
            if name:
                data["name"] = name
            return dict(self.request("POST", "/api/v1/batch/", files=files, data=data))

    def wait_batch(
        self,
        batch_id: str,
        *,
        timeout: float = 3600.0,
        progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Poll a batch until it is done (interval 0.5 s growing to 5 s); its combined result."""
        deadline, interval = time.monotonic() + timeout, 0.5
        while True:
            body = dict(self.request("GET", f"/api/v1/batch/{batch_id}/"))
            if progress is not None:
                progress(body)
            if body["status"] == "done":
                return body
            if time.monotonic() > deadline:
                raise MakereadyError("request.invalid", f"batch {batch_id} not done after {timeout:g} s")
            time.sleep(interval)
            interval = min(5.0, interval * 1.5)
