"""The scaled deployment for tests: API + Celery workers + Redis + PostgreSQL + S3 (moto).

Redis and PostgreSQL are the machine's on 127.0.0.1 where they run; otherwise the tests start
their own from the binaries (``redis-server``; ``initdb``/``pg_ctl`` via
:func:`~tests.service.live.postgres_database`). The S3-compatible store is moto's standalone
server, a real HTTP server speaking the S3 protocol. Each stack has its own queue prefix and
bucket, so stacks of parallel test modules never take each other's messages or blobs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.service.live import LiveServer, free_port, postgres_database

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "makeready-test",
    "AWS_SECRET_ACCESS_KEY": "makeready-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


class Process:
    """A background process in its own session (a signal reaches it and all its children)."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.argv, self.env, self.log = argv, env, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, sig: int) -> None:
        """Send ``sig`` to every process of the session without waiting."""
        if self.process is not None:
            subprocess.run(
                ["pkill", f"-{signal.Signals(sig).name[3:]}", "-s", str(self.process.pid)], check=False
            )

    def kill(self, sig: int = signal.SIGKILL, wait: float = 30.0) -> None:
        """Signal the whole process group (a Celery worker and its pool processes)."""
        if self.process is None:
            return
        # Every process of the session: a supervisor, its Celery worker and the pool processes.
        session = str(self.process.pid)
        subprocess.run(["pkill", f"-{signal.Signals(sig).name[3:]}", "-s", session], check=False)
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            subprocess.run(["pkill", "-KILL", "-s", session], check=False)
            self.process.wait(10)
        if sig == signal.SIGKILL:  # the session's other processes may take a moment to go
            subprocess.run(["pkill", "-KILL", "-s", session], check=False)
        self.process = None

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


class RedisServer(Process):
    """A private ``redis-server`` on a free port (nothing kept on disk, as on the machine)."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            _unavailable("redis-server is not installed")
        self.port = free_port()
        super().__init__(
            [
                str(binary),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
            root / "redis.log",
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        super().start()
        _wait_redis(self.url, 20.0)
        return self


def _wait_redis(url: str, timeout: float) -> None:
    import redis

    deadline = time.monotonic() + timeout
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def redis_url(root: Path) -> Iterator[str]:
    """The machine's Redis on 127.0.0.1:6379 when it answers, else a private one."""
    import redis

    url = os.environ.get("MAKEREADY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
        yield url
        return
    except redis.RedisError:
        pass
    own = RedisServer(root).start()
    try:
        yield own.url
    finally:
        own.kill(signal.SIGTERM)


class MotoS3(Process):
    """moto's standalone S3 server on a free port."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        super().__init__(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            {**os.environ, **S3_ENV},
            root / "moto.log",
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        super().start()
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(self.url, timeout=5)
                return self
            # A loaded machine may accept the connection before moto answers: wait on, to the deadline.
            except (requests.ConnectionError, requests.Timeout):
                if not self.alive or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start:\n{self.tail()}") from None
                time.sleep(0.1)


@dataclass
class Stack:
    """A running scaled deployment: the API server and its workers."""

    root: Path
    server: LiveServer
    workers: list[Process] = field(default_factory=list)

    def add_worker(self, concurrency: int = 1, **extra_env: str) -> Process:
        index = len(self.workers)
        env = {**self.server.env, **extra_env}
        worker = Process(
            [sys.executable, "-m", "makeready", "worker", f"--concurrency={concurrency}", "--loglevel=INFO"],
            env,
            self.root / f"worker-{index}.log",
        ).start()
        self.workers.append(worker)
        return worker

    def wait_workers_ready(self, timeout: float = 90.0) -> None:
        """Until every worker logged Celery's ``ready`` line."""
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            while "ready." not in worker.tail(200_000):
                if not worker.alive:
                    raise RuntimeError(f"worker exited:\n{worker.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker not ready after {timeout} s:\n{worker.tail()}")
                time.sleep(0.1)

    def jobs(self) -> dict[str, dict[str, Any]]:
        """The job table, read straight from the database: part id -> job row (part.analyze)."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.server.env["MAKEREADY_DATABASE_URL"])
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT id, kind, payload, status, attempts, error FROM jobs")
                ).mappings()
                return {(row["payload"].get("part_id") or row["id"]): dict(row) for row in rows}
        finally:
            engine.dispose()

    def logs(self) -> str:
        parts = [f"--- server\n{self.server.log.read_text(errors='replace')[-3000:]}"]
        parts += [f"--- worker {i}\n{w.tail(3000)}" for i, w in enumerate(self.workers)]
        return "\n".join(parts)

    def stop(self) -> None:
        # Signal every worker first, then wait: their warm shutdowns overlap instead of queueing.
        for worker in self.workers:
            worker.send(signal.SIGTERM)
        for worker in self.workers:
            worker.kill(signal.SIGTERM)
        self.server.stop()


@contextmanager
def scaled_stack(
    root: Path, *, workers: int = 2, redis: str | None = None, start: bool = True, **settings: Any
) -> Iterator[Stack]:
    """API (jobs=celery) + ``workers`` Celery workers + Redis + PostgreSQL + moto S3."""
    with ExitStack() as stack:
        database = stack.enter_context(postgres_database(root))
        broker = redis or stack.enter_context(redis_url(root))
        moto = MotoS3(root).start()
        stack.callback(moto.kill, signal.SIGTERM)
        prefix = f"mrtest{uuid.uuid4().hex[:10]}"
        options: dict[str, Any] = {
            "jobs": "celery",
            "broker_url": broker,
            "queue_prefix": prefix,
            "blobs_url": f"s3://{prefix}/blobs",
            "s3_endpoint_url": moto.url,
            "job_redispatch_s": 4,
            "job_retry_backoff_s": 0.5,
            **settings,
        }
        server = LiveServer(root / "data", database, **options)
        server.env.update(S3_ENV)
        deployment = Stack(root, server)
        stack.callback(deployment.stop)
        if start:
            for _ in range(workers):
                deployment.add_worker()
            server.start()
            deployment.wait_workers_ready()
        yield deployment
