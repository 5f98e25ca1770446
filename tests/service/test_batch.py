"""Batch screening over the API: files and zips in, one combined, ranked result out."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest

from makeready import load, run_analysis, save
from tests.meshes import box, part
from tests.service.live import Api, LiveServer


def _stl(lx: float, ly: float, lz: float) -> bytes:
    buffer = io.BytesIO()
    save(part(*box((lx, ly, lz))), buffer, "stl")
    return buffer.getvalue()


def _wait(api: Api, batch_id: str, timeout: float = 240.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        reply = api.get(f"/api/v1/batch/{batch_id}/")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        if body["status"] == "done":
            return body  # type: ignore[no-any-return]
        assert 0.0 <= body["progress"] < 1.0
        assert time.monotonic() < deadline, body
        time.sleep(0.3)


def test_a_batch_of_files_and_a_zip_is_screened_and_ranked(server: LiveServer) -> None:
    api = Api(server.url)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("library/bracket.stl", _stl(40, 10, 5))
        zf.writestr("library/readme.txt", "not a part")
        zf.writestr("library/plate.stl", _stl(30, 30, 2))
    files = [
        ("files", ("block.stl", _stl(20, 20, 20), "model/stl")),
        ("files", ("parts.zip", archive.getvalue(), "application/zip")),
        ("files", ("broken.stl", _stl(9, 9, 9)[:300], "model/stl")),  # binary STL cut short
        ("files", ("../../etc/evil.stl", _stl(5, 5, 5), "model/stl")),
    ]
    reply = api.post("/api/v1/batch/", files=files, data={"mat_name": "PA12", "prc_acronym": "sls"})
    assert reply.status_code == 201, reply.text
    created = reply.json()
    assert sorted(p["basename"] for p in created["parts"]) == ["block.stl", "bracket.stl", "plate.stl"]
    refused = {r["basename"]: r["code"] for r in created["refused"]}
    assert refused == {"broken.stl": "file.truncated", "../../etc/evil.stl": "upload.unsafe_name"}

    result = _wait(api, created["batch_id"])
    assert result["counts"] == {"parts": 3, "done": 3, "error": 0, "pending": 0, "refused": 2}
    assert result["progress"] == 1.0
    assert sorted(result["ranking"]) == sorted(p["part_id"] for p in created["parts"])
    by_name = {line["basename"]: line for line in result["parts"]}
    # The combined numbers are the library's own for the same part and options.
    expected = run_analysis(load(_stl(20, 20, 20), filename="block.stl"), "PA12", "sls", 1).chains
    block = by_name["block.stl"]
    additive = [c for c in expected if c.process.tech == "additive_manufacturing" and c.estimate.feasible]
    cheapest = min(additive, key=lambda c: c.estimate.cost_per_part)
    assert block["best_additive"]["prc_acronym"] == cheapest.process.prc_acronym
    assert block["best_additive"]["cost_pp"] == pytest.approx(cheapest.estimate.cost_per_part, rel=1e-9)
    conventional = [c for c in expected if c.process.tech == "conventional" and c.estimate.feasible]
    if conventional:
        base = min(conventional, key=lambda c: c.estimate.cost_per_part)
        assert block["savings_pp"] == pytest.approx(
            base.estimate.cost_per_part - cheapest.estimate.cost_per_part, rel=1e-9
        )
    # Ranked by saving against the conventional route, largest first.
    savings = [
        by_id["savings_pp"]
        for by_id in (next(p for p in result["parts"] if p["part_id"] == i) for i in result["ranking"])
    ]
    known = [s for s in savings if s is not None]
    assert known == sorted(known, reverse=True)
    # Each part is also an ordinary part with its own full report.
    report = api.get(f"/api/v1/analysisResult/{block['part_id']}/").json()
    assert report["analysis_report"]["part_vol"] == pytest.approx(8.0, rel=1e-9)  # cm³
    assert any(b["batch_id"] == created["batch_id"] for b in api.get("/api/v1/batch/").json())


def test_batch_refusals(server: LiveServer) -> None:
    api = Api(server.url)
    only_bad = api.post("/api/v1/batch/", files=[("files", ("x.stl", b"", "model/stl"))])
    assert only_bad.status_code == 422, only_bad.text
    assert only_bad.json()["code"] == "file.empty"
    assert api.get("/api/v1/batch/0123/").status_code == 404
    other = Api(server.url, "bob", "bob-password")
    reply = api.post("/api/v1/batch/", files=[("files", ("a.stl", _stl(5, 5, 5), "model/stl"))])
    assert reply.status_code == 201
    assert other.get(f"/api/v1/batch/{reply.json()['batch_id']}/").status_code == 404


def test_cli_batch_against_the_server_and_locally_agree(server: LiveServer, tmp_path) -> None:
    import json
    import subprocess
    import sys

    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "block.stl").write_bytes(_stl(20, 20, 20))
    (folder / "plate.stl").write_bytes(_stl(30, 30, 2))
    (folder / "notes.txt").write_text("not a part")
    common = ["--material", "PA12", "--process", "sls", "--json"]
    remote = subprocess.run(
        [
            sys.executable,
            "-m",
            "makeready",
            "batch",
            str(folder),
            "--server",
            server.url,
            "--user",
            "alice",
            "--report",
            str(tmp_path / "remote"),
            *common,
        ],
        env={**server.env, "MAKEREADY_PASSWORD": "alice-password"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert remote.returncode == 0, remote.stderr
    local = subprocess.run(
        [
            sys.executable,
            "-m",
            "makeready",
            "batch",
            str(folder),
            "--jobs",
            "1",
            "--report",
            str(tmp_path / "local"),
            *common,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert local.returncode == 0, local.stderr
    by_server, by_cli = json.loads(remote.stdout), json.loads(local.stdout)
    assert (
        by_server["counts"]
        == by_cli["counts"]
        == {"parts": 2, "done": 2, "error": 0, "pending": 0, "refused": 0}
    )
    names = {p["part_id"]: p["basename"] for p in by_server["parts"]}
    assert [names[i] for i in by_server["ranking"]] == [
        next(p["basename"] for p in by_cli["parts"] if p["part_id"] == i) for i in by_cli["ranking"]
    ]
    for key in ("additive_cost_pl", "savings_pp", "additive_co2_pp"):
        assert by_server["totals"][key] == pytest.approx(by_cli["totals"][key], rel=1e-9)
    # The two reports hold the same ranking and numbers, whichever machine screened the parts.
    import csv

    remote_rows = list(csv.DictReader((tmp_path / "remote.csv").open()))
    local_rows = list(csv.DictReader((tmp_path / "local.csv").open()))
    assert [r["file"] for r in remote_rows] == [r["file"] for r in local_rows]
    assert sorted(r["file"] for r in local_rows) == ["block.stl", "plate.stl"]
    for remote_row, local_row in zip(remote_rows, local_rows, strict=True):
        for column in (
            "additive_eur_per_part",
            "saving_eur_per_part",
            "eur_per_part_sls",
            "eur_per_part_mjf",
        ):
            assert float(remote_row[column]) == pytest.approx(float(local_row[column]), rel=1e-9)
        assert (remote_row["material"], remote_row["lot_size"]) == (
            local_row["material"],
            local_row["lot_size"],
        )
    assert (tmp_path / "remote.xlsx").stat().st_size > 5000
