"""Live servers for the API tests: one on SQLite and one on PostgreSQL per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.live import OTHER, OTHER_PASSWORD, READER, READER_PASSWORD, LiveServer, postgres_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A running server with users alice (bootstrap) and bob, and the client backend."""
    root: Path = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "postgresql":
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
