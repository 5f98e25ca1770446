"""Property-based requests from the OpenAPI document: no input may produce a 5xx.

One exception, by HTTP's own rules: registering a printer makes makeready call the URL the request
names, and a server that is not there is a failed gateway (502 with a ``printer.*`` upstream code),
not a makeready error. Any other 5xx fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.service.inprocess import InProcessServer
from tests.service.live import Api, LiveServer

EXAMPLES = int(os.environ.get("MAKEREADY_SCHEMATHESIS_EXAMPLES", "30"))
#: A printer's server failed, not makeready (docs/errors.md).
UPSTREAM_CODES = {"printer.unreachable", "printer.unauthorized", "printer.error"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # Generated printer URLs point nowhere: give up on each after 1 s, not the default 10 s.
    server = InProcessServer(tmp_path_factory.mktemp("schemathesis") / "data", printer_timeout_s=1)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bearer(live: LiveServer) -> dict[str, str]:
    return {"Authorization": Api(live.url).headers["Authorization"]}


@pytest.fixture(scope="module")
def api_schema(live: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live.url}/openapi.json")


def _operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    return [result.ok() for result in schema.get_all_operations()]


def test_no_server_errors(api_schema: schemathesis.BaseSchema, bearer: dict[str, str]) -> None:
    """Every operation, EXAMPLES generated requests each (schemathesis's pytest plugin does not run
    on this pytest, so the Hypothesis loop is driven here)."""
    operations = _operations(api_schema)
    assert len(operations) >= 40
    for operation in operations:

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=bearer, timeout=60)
            where = f"{case.method} {case.formatted_path}"
            upstream = response.status_code == 502 and case.formatted_path.startswith(
                "/api/v1/print/printers"
            )
            if upstream:
                assert response.json()["code"] in UPSTREAM_CODES, where
            else:
                assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
            if response.status_code >= 400:
                content_type = response.headers["content-type"]  # schemathesis: a list per header
                assert content_type[0].startswith(("application/problem+json", "application/json")), where

        check()
