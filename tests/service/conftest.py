"""Live servers for the API tests, per test module: embedded on SQLite, embedded on
PostgreSQL, and the scaled deployment (Celery workers, Redis, PostgreSQL, S3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.live import OTHER, OTHER_PASSWORD, READER, READER_PASSWORD, LiveServer, postgres_database
from tests.service.stack import scaled_stack


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "scaled"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running server with users alice (bootstrap) and bob, and the client backend."""
    root: Path = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "scaled":
        with scaled_stack(root, start=False) as stack:
            stack.add_worker()
            stack.add_worker()
            yield from _run(stack.server)
            # a test module's last assertion is only as good as the workers that served it
            assert all(w.alive for w in stack.workers), stack.logs()
    elif request.param == "postgresql":
        with postgres_database(root) as url:
            yield from _run(LiveServer(root / "data", url))
    else:
        yield from _run(LiveServer(root / "data"))


def _run(live: LiveServer) -> Iterator[LiveServer]:
    for name, password, scopes in ((OTHER, OTHER_PASSWORD, "read write"), (READER, READER_PASSWORD, "read")):
        created = live.cli("users", "create", name, "--password", password, "--scopes", scopes)
        assert created.returncode == 0, created.stderr + created.stdout
    live.start()
    try:
        yield live
    finally:
        live.stop()
