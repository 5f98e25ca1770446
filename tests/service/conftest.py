"""Servers for the API tests, per test module: the embedded service on SQLite and on
PostgreSQL (in the test process, :mod:`tests.service.inprocess`), and the scaled deployment
(its own processes: Celery workers, Redis, PostgreSQL, S3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.inprocess import InProcessServer
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
            yield from _run(InProcessServer(root / "data", url))
    else:
        yield from _run(InProcessServer(root / "data"))


#: Modules whose servers are processes of their own: restarts, kills, the scaled deployment.
_SCALED_MODULES = ("test_restart", "test_scaled_faults", "test_scaled_load")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers as markers: every API test is ``service``; Chromium ones ``browser``; ``scaled``
    where the server runs as processes of its own (``-m "not scaled"`` is the quick loop)."""
    for item in items:
        if "/tests/service/" not in str(item.fspath):
            continue
        item.add_marker(pytest.mark.service)
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module == "test_viewer":
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if module in _SCALED_MODULES or (callspec is not None and callspec.params.get("server") == "scaled"):
            item.add_marker(pytest.mark.scaled)


USERS = ((OTHER, OTHER_PASSWORD, "read write"), (READER, READER_PASSWORD, "read"))


def _run(live: LiveServer) -> Iterator[LiveServer]:
    live.start()  # the start creates (or upgrades) the schema the users go into
    for name, password, scopes in USERS:
        live.add_user(name, password, scopes)
    try:
        yield live
    finally:
        live.stop()
