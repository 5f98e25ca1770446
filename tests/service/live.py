"""A real makeready server in a subprocess, and a PostgreSQL database for it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import typing
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

USER, PASSWORD = "alice", "alice-password"
OTHER, OTHER_PASSWORD = "bob", "bob-password"
READER, READER_PASSWORD = "carol", "carol-password"
CLIENT_ID, CLIENT_SECRET = "backend", "backend-secret-value"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``makeready serve`` on 127.0.0.1 with its own data directory (and database URL)."""

    def __init__(self, data_dir: Path, database_url: str | None = None, **settings: Any) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "MAKEREADY_DATA_DIR": str(data_dir),
            "MAKEREADY_PORT": str(self.port),
            "MAKEREADY_BOOTSTRAP_USER": USER,
            "MAKEREADY_BOOTSTRAP_PASSWORD": PASSWORD,
            "MAKEREADY_BOOTSTRAP_CLIENT_ID": CLIENT_ID,
            "MAKEREADY_BOOTSTRAP_CLIENT_SECRET": CLIENT_SECRET,
            "MAKEREADY_POLL_MIN_INTERVAL_S": "0",
            "MAKEREADY_JOB_LEASE_S": "3",
            "MAKEREADY_LOG_FORMAT": "json",
        }
        if database_url:
            self.env["MAKEREADY_DATABASE_URL"] = database_url
        self.env.update({f"MAKEREADY_{k.upper()}": str(v) for k, v in settings.items()})
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def settings(self) -> Any:
        """The server's settings from its environment, exactly as ``makeready serve`` reads them."""
        from makeready.settings import Settings

        prefix = "MAKEREADY_"
        values: dict[str, Any] = {
            k[len(prefix) :].lower(): v for k, v in self.env.items() if k.startswith(prefix)
        }
        for name, value in values.items():  # complex fields come as JSON, as from the environment
            field = Settings.model_fields.get(name)
            if field is not None and typing.get_origin(field.annotation) in (dict, list):
                values[name] = json.loads(value)
        return Settings(**values)

    def add_user(self, name: str, password: str, scopes: str) -> None:
        """A user, written into the running server's database from this process.

        ``makeready users create`` would do the same from a process of its own, at 2-4 s of
        Python start-up and imports each on a loaded machine (tests/test_cli.py runs it).
        """
        from makeready.service.accounts import create_user
        from makeready.store.connect import open_database

        database = open_database(self.settings())
        try:
            create_user(database, name, password, scopes)
        finally:
            database.dispose()

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "makeready", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, timeout: float = 60.0) -> LiveServer:
        if self.process is not None and self.process.poll() is None:
            # A second start would orphan the first process (it kept running after the tests).
            raise RuntimeError(f"the server on {self.url} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "makeready", "serve"],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.log.read_text()[-4000:]}"
                )
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log.read_text()[-4000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None


def _pg_admin(dbname: str = "postgres") -> Any:
    import pg8000.native

    host = os.environ.get("MAKEREADY_TEST_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("MAKEREADY_TEST_PG_PORT", "5432"))
    user = os.environ.get("MAKEREADY_TEST_PG_USER", "postgres")
    return pg8000.native.Connection(user, host=host, port=port, database=dbname, timeout=5), (
        host,
        port,
        user,
    )


def _start_own_postgres(root: Path) -> tuple[str, int] | None:
    """initdb + pg_ctl on a free port, when the binaries exist and we are not root."""
    candidates = (
        sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if Path("/usr/lib/postgresql").exists()
        else []
    )
    initdb = shutil.which("initdb") or (str(candidates[-1]) if candidates else None)
    if initdb is None or os.geteuid() == 0:
        return None
    bindir = Path(initdb).parent
    port = free_port()
    subprocess.run(
        [initdb, "-D", str(root), "-A", "trust", "-U", "postgres"], check=True, capture_output=True
    )
    subprocess.run(
        [
            str(bindir / "pg_ctl"),
            "-D",
            str(root),
            "-o",
            f"-p {port} -k {root}",
            "-w",
            "start",
            "-l",
            str(root / "log"),
        ],
        check=True,
        capture_output=True,
    )
    os.environ["MAKEREADY_TEST_PG_PORT"] = str(port)
    return "127.0.0.1", port


@contextmanager
def postgres_database(tmp: Path) -> Iterator[str]:
    """A fresh database on the local PostgreSQL (or one the tests start); dropped afterwards."""
    started = False
    try:
        admin, (host, port, user) = _pg_admin()
    except Exception as first:
        if _start_own_postgres(tmp / "pg") is None:
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is required in CI: {first}")
            pytest.skip(f"no PostgreSQL on 127.0.0.1:5432 and none could be started: {first}")
        started = True
        admin, (host, port, user) = _pg_admin()
    name = f"makeready_test_{uuid.uuid4().hex[:12]}"
    admin.run(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+pg8000://{user}@{host}:{port}/{name}"
    finally:
        admin.run(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        admin.run(f"DROP DATABASE IF EXISTS {name}")
        admin.close()
        if started:
            bindir = Path(
                shutil.which("initdb") or sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1]
            ).parent
            subprocess.run(
                [str(bindir / "pg_ctl"), "-D", str(tmp / "pg"), "-m", "fast", "stop"],
                check=False,
                capture_output=True,
            )


class Api:
    """A signed-in client speaking to a live server the way 3D Spark API's snippet does."""

    def __init__(self, url: str, username: str = USER, password: str = PASSWORD) -> None:
        self.url = url
        token = requests.post(
            f"{url}/realms/makeready/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "username": username,
                "password": password,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
            timeout=30,
        )
        assert token.status_code == 200, token.text
        self.token = token.json()["access_token"]
        csrf = requests.get(f"{url}/api-auth/login", timeout=30).cookies["csrftoken"]
        self.headers = {"Authorization": f"Bearer {self.token}", "X-CSRFToken": csrf}
        self.cookies = {"csrftoken": csrf}

    def get(self, path: str, **kw: Any) -> requests.Response:
        return requests.get(self.url + path, headers=self.headers, cookies=self.cookies, timeout=60, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return requests.post(self.url + path, headers=self.headers, cookies=self.cookies, timeout=120, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return requests.put(self.url + path, headers=self.headers, cookies=self.cookies, timeout=60, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return requests.delete(self.url + path, headers=self.headers, cookies=self.cookies, timeout=60, **kw)

    def task(self, response: requests.Response, timeout: float = 120.0) -> dict[str, Any]:
        """Follow a 202 task to its end; returns the final task object."""
        assert response.status_code == 202, response.text
        task = response.json()
        deadline = time.monotonic() + timeout
        while task["status"] == "running":
            assert time.monotonic() < deadline, f"task {task['id']} still running: {task}"
            time.sleep(0.1)
            reply = self.get(f"/api/v1/print/tasks/{task['id']}")
            assert reply.status_code == 200, reply.text
            task = reply.json()
        return task

    def done(self, response: requests.Response, timeout: float = 120.0) -> dict[str, Any]:
        task = self.task(response, timeout)
        assert task["status"] == "done", task
        return task["result"]  # type: ignore[no-any-return]

    def upload_part(
        self, name: str, data: bytes, *, material: str = "PA12", process: str = "sls", lot_size: int = 1
    ) -> str:
        """POST a part as 3D Spark API's snippet does; returns its part_id."""
        form = {"mat_name": material, "prc_acronym": process, "lot_size": str(lot_size)}
        reply = self.post("/api/v1/part/", data=form, files={"file": (name, data)})
        assert reply.status_code in (200, 201), reply.text
        return reply.json()["part_id"]  # type: ignore[no-any-return]

    def analysis(self, part_id: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/api/v1/analysisResult/{part_id}/").json()
            if body["analysis_finished"]:
                return body  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
