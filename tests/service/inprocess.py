"""The service in the test process: the same app and settings as ``makeready serve``, on a thread.

A :class:`LiveServer` pays a Python start-up, the app's imports and two ``users create``
processes per test module and backend; most API behaviour does not need a process of its own.
This server runs uvicorn on a thread of the test process (a real socket, so ``requests``,
subprocess clients and browsers reach it unchanged) and creates users through the app's own
database. What needs a separate process stays on :class:`LiveServer`: restarts, signals,
killed workers, the scaled deployment.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.service.live import LiveServer


class InProcessServer(LiveServer):
    """``makeready serve``'s app under uvicorn on a thread of this process."""

    def __init__(self, data_dir: Path, database_url: str | None = None, **settings: Any) -> None:
        super().__init__(data_dir, database_url, **settings)
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.app: Any = None

    def start(self, timeout: float = 60.0) -> LiveServer:
        import uvicorn

        from makeready.service.app import create_app

        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError(f"the server on {self.url} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.app = create_app(self.settings())
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="makeready-inprocess", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the in-process server on {self.url} did not start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the in-process server on {self.url} not ready after {timeout} s")
            time.sleep(0.02)
        return self

    def add_user(self, name: str, password: str, scopes: str) -> None:
        """A user, created through the running app's database."""
        from makeready.service.accounts import create_user

        create_user(self.app.state.services.db, name, password, scopes)

    def stop(self, sig: int = 0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(30)
        if self._thread.is_alive():
            raise RuntimeError(f"the in-process server on {self.url} did not stop")
        self._server = self._thread = None
