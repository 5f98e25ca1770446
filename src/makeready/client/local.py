"""A throw-away local server for notebooks, examples and trying the SDK without a deployment."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from makeready.client.sessions import Client

__all__ = ["LocalServer"]


@dataclass
class LocalServer:
    """``makeready serve`` in a subprocess on a free port of 127.0.0.1, with its own data folder.

    The first start creates ``username`` with a random ``password``; :meth:`client` returns a
    signed-in :class:`~makeready.client.Client`. Use it as a context manager: leaving stops
    the server and deletes the data folder (unless ``data_dir`` was given).

    Parameters
    ----------
    data_dir : Path, optional
        Keep the server's database and files here (default: a temporary folder).
    settings : dict
        More ``MAKEREADY_*`` settings, by field name (e.g. ``{"workers": 2}``).
    start_timeout : float
        Seconds to wait for ``/readyz``.

    Examples
    --------
    >>> with LocalServer() as server, server.client() as client:
    ...     print(client.version())

    """

    data_dir: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    start_timeout: float = 60.0
    username: str = "demo"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    url: str = ""
    _process: subprocess.Popen[bytes] | None = None
    _owned_dir: str | None = None

    def start(self) -> LocalServer:
        """Start the server and wait until it is ready."""
        if self.data_dir is None:
            self._owned_dir = tempfile.mkdtemp(prefix="makeready-local-")
            self.data_dir = Path(self._owned_dir)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        env = {
            **os.environ,
            "MAKEREADY_DATA_DIR": str(self.data_dir),
            "MAKEREADY_HOST": "127.0.0.1",
            "MAKEREADY_PORT": str(port),
            "MAKEREADY_BOOTSTRAP_USER": self.username,
            "MAKEREADY_BOOTSTRAP_PASSWORD": self.password,
            "MAKEREADY_LOG_LEVEL": "WARNING",
            **{f"MAKEREADY_{k.upper()}": str(v) for k, v in self.settings.items()},
        }
        self.url = f"http://127.0.0.1:{port}"
        log = (self.data_dir / "server.log").open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "makeready", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"makeready serve exited with {self._process.returncode}; see {log.name}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"makeready serve not ready after {self.start_timeout:g} s")

    def client(self, **options: Any) -> Client:
        """A :class:`~makeready.client.Client` signed in as the server's first user."""
        return Client(self.url, username=self.username, password=self.password, **options)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 20 s) and remove a temporary data folder."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            self._owned_dir, self.data_dir = None, None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
