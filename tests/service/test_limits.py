"""Limits and errors: sizes, triangle counts, content sniffing, polling rate, problem JSON."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from makeready import save
from tests.meshes import part, uv_sphere
from tests.service.inprocess import InProcessServer
from tests.service.live import Api, LiveServer

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
MAX_BYTES, MAX_TRIANGLES = 300_000, 2_000


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = InProcessServer(
        tmp_path_factory.mktemp("strict") / "data",
        max_upload_bytes=MAX_BYTES,
        max_triangles=MAX_TRIANGLES,
        poll_min_interval_s=5,
    )
    live.start()
    yield live
    live.stop()


def _problem(reply: requests.Response, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body = reply.json()
    assert body["code"] == code
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "error_id", "message"} <= set(body)
    return body


def _upload(api: Api, name: str, data: bytes, **form: str) -> requests.Response:
    return api.post("/api/v1/part/", data={"start_analysis": "false", **form}, files={"file": (name, data)})


def test_upload_limits(strict: LiveServer) -> None:
    api = Api(strict.url)
    _problem(_upload(api, "big.stl", b"\0" * (MAX_BYTES + 100_000)), 413, "file.too_large")
    many = io.BytesIO()
    save(part(*uv_sphere(10.0, 48, 24)), many, "stl")  # 2,208 triangles, 110 kB
    _problem(_upload(api, "many.stl", many.getvalue()), 413, "file.too_many_triangles")
    picture = _problem(
        _upload(api, "picture.stl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
        415,
        "file.unsupported_format",
    )
    assert "PNG image" in picture["detail"]  # the limits are checked once the format is known
    text = b"facet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex 0 1 0\n endloop\n"
    _problem(_upload(api, "broken.stl", (text * 6)[:454]), 422, "stl.invalid")
    _problem(_upload(api, "empty.stl", b""), 422, "file.empty")
    truncated = CUBE.read_bytes()[:500]
    assert _upload(api, "cut.stl", truncated).status_code == 422
    _problem(_upload(api, "cube.stl", CUBE.read_bytes(), mat_name="unobtainium"), 422, "catalog.not_found")
    _problem(
        _upload(api, "cube.stl", CUBE.read_bytes(), prc_acronym="slm", mat_name="PLA"), 422, "request.invalid"
    )
    _problem(_upload(api, "cube.stl", CUBE.read_bytes(), lot_size="0"), 422, "request.invalid")
    assert (
        _upload(api, "cube.stl", CUBE.read_bytes()).status_code == 201
    )  # the limits leave normal parts alone


def test_polling_faster_than_allowed_gets_429(strict: LiveServer) -> None:
    api = Api(strict.url)
    part_id = _upload(api, "cube.stl", CUBE.read_bytes()).json()["part_id"]
    assert api.get(f"/api/v1/analysisResult/{part_id}/").status_code == 200
    body = _problem(api.get(f"/api/v1/analysisResult/{part_id}/"), 429, "request.rate_limited")
    reply = api.get(f"/api/v1/analysisResult/simplified/{part_id}/")
    assert reply.status_code == 200  # another resource has its own budget
    limited = api.get(f"/api/v1/analysisResult/{part_id}/")
    assert 1 <= int(limited.headers["retry-after"]) <= 5
    assert body["retry_after"] >= 1


def test_routing_errors_are_problems(strict: LiveServer) -> None:
    api = Api(strict.url)
    _problem(api.get("/api/v1/nothing-here"), 404, "request.not_found")
    _problem(api.delete("/api/v1/analysisResult/x/"), 405, "request.method_not_allowed")
    broken = requests.post(
        f"{strict.url}/api/v1/geom/meshes/import",
        data="{not json",
        cookies=api.cookies,
        headers={**api.headers, "content-type": "application/json"},
        timeout=30,
    )
    _problem(broken, 422, "request.invalid")
    _problem(api.get("/errors/no.such.code"), 404, "request.not_found")


def test_operations(strict: LiveServer) -> None:
    ready = requests.get(f"{strict.url}/readyz", timeout=30).json()
    assert ready == {"status": "ok", "checks": {"database": "ok", "blob_store": "ok", "job_runner": "ok"}}
    text = requests.get(f"{strict.url}/metrics", timeout=30).text
    assert "makeready_http_requests_total" in text
    assert "makeready_http_request_duration_seconds_bucket" in text
    assert 'route="/readyz"' in text
    assert "makeready_jobs" in text
    spec = requests.get(f"{strict.url}/openapi.json", timeout=30).json()
    assert "/api/v1/part/" in spec["paths"]
    assert "/api/v1/geom/meshes/import" in spec["paths"]


def test_every_error_code_is_documented_with_its_status() -> None:
    from makeready.errors import ERROR_CODES
    from makeready.service.problems import status_of

    text = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text()
    for code, title in ERROR_CODES.items():
        assert f"| `{code}` | {title} | {status_of(code)} |" in text, code
