"""The SDK (makeready.client) against a real server: both API families, sync and async.

The server polls at most once per 1.5 s per resource (so the SDK's 1 s first poll meets real
429 answers with Retry-After) and issues 10-second access tokens (so long waits need the
SDK's token refresh).
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest

from makeready import load, run_analysis
from makeready.client import AsyncClient, Client, ServerError, TaskFailedError, WaitTimeoutError
from makeready.rendering.spark import analysis_report
from makeready.wire import AnalysisReport, Mesh, Tray
from tests.service.inprocess import InProcessServer
from tests.service.live import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, Api, LiveServer

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def _stl_box(x: float, y: float, z: float) -> bytes:
    import trimesh

    mesh = trimesh.creation.box(extents=(x, y, z))
    return bytes(mesh.export(file_type="stl"))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = InProcessServer(
        tmp_path_factory.mktemp("sdk") / "data", poll_min_interval_s=1.5, access_token_ttl_s=10
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[Client]:
    with Client(live.url, username=USER, password=PASSWORD) as signed_in:
        yield signed_in


def test_analysis_report_is_typed_and_equals_the_wire_json(client: Client, live: LiveServer) -> None:
    seen: list[tuple[float, str]] = []
    report = client.analyze(
        SAMPLE, mat_name="PA12", prc_acronym="sls", lot_size=50, progress=lambda f, s: seen.append((f, s))
    )
    assert isinstance(report, AnalysisReport)
    assert report.bb_x == pytest.approx(20.0, abs=1e-4)
    assert report.part_vol == pytest.approx(7.9387, rel=1e-4)  # cm³, the cube's volume
    assert seen[-1][0] == 1.0
    assert all(0.0 <= f <= 1.0 for f, _ in seen)
    # typed result == the raw JSON a 3D Spark API client reads (nothing lost in the model)
    time.sleep(1.6)  # the server's poll interval for this part (a plain client does not retry 429)
    raw = Api(live.url).get(f"/api/v1/analysisResult/{report.part_id}/").json()["analysis_report"]
    assert report.model_dump(mode="json") == raw
    # == the library's own numbers for the same file
    local = run_analysis(load(SAMPLE), "PA12", "sls", 50)
    primary = analysis_report(local)["process_chains"][local.primary.chain_id]
    assert report.primary_chain.cost.cost_pp == pytest.approx(primary["cost"]["cost_pp"], rel=1e-9)
    cheapest = report.chains(feasible_only=True)[0]
    assert all(cheapest.cost.cost_pp <= c.cost.cost_pp for c in report.chains(feasible_only=True))  # type: ignore[operator]
    simple = client.simplified(report.part_id)
    assert simple.cost_pp == pytest.approx(report.primary_chain.cost.cost_pp)
    assert simple.fits_mac is True
    part = client.part(report.part_id)
    assert (part.status, part.mat_name, part.lot_size) == ("done", "PA12", 50)
    assert any(p.part_id == report.part_id for p in client.parts())


def test_retry_after_is_waited_out(client: Client) -> None:
    uploaded = client.upload_part(("small.stl", _stl_box(10, 10, 10)), mat_name="316L")
    client.wait_analysis(uploaded.part_id)
    client.analysis_result(uploaded.part_id)
    started = time.monotonic()
    again = client.analysis_result(uploaded.part_id)  # within 1.5 s: 429, then retried after Retry-After
    assert again.analysis_finished
    assert time.monotonic() - started >= 0.9


def test_tokens_are_renewed(client: Client) -> None:
    first = client.credentials.token
    assert first is not None
    assert first.expires_in == 10
    time.sleep(8.5)  # past 80 % of the lifetime: the next request refreshes first
    assert client.version()
    client.machines()
    assert client.credentials.token is not None
    assert client.credentials.token.access_token != first.access_token
    # a token the server refuses (revoked, keys rotated) is replaced by signing in again
    client.credentials.token.access_token = "not-a-token"
    assert len(client.materials(prc_acronym="slm")) >= 3


def test_errors_carry_the_server_codes(client: Client, live: LiveServer) -> None:
    with pytest.raises(ServerError) as wrong:
        Client(live.url, username=USER, password="wrong-password")
    assert (wrong.value.status, wrong.value.code) == (401, "auth.invalid_grant")
    with pytest.raises(ServerError) as unknown:
        client.upload_part(SAMPLE, mat_name="unobtainium")
    assert unknown.value.code == "catalog.not_found"
    assert unknown.value.problem.status == 422
    with pytest.raises(ServerError) as missing:
        client.part("00000000000000000000000000000000")
    assert missing.value.code == "request.not_found"
    garbage = client.upload_file(("garbage.stl", b"solid x\nfacet normal nonsense\n"))
    task = client.import_mesh(garbage.file_id)
    with pytest.raises(TaskFailedError) as failed:
        client.wait_task(task)
    assert failed.value.code.startswith("file.")
    slow = client.upload_part(("slow.stl", _stl_box(30, 20, 10)))
    with pytest.raises(WaitTimeoutError):
        client.wait_analysis(slow.part_id, timeout=0.5)


def test_shared_nesting_through_the_api_and_sdk_prices_like_the_library(
    client: Client, live: LiveServer
) -> None:
    """``nst_style`` on upload and on start_analysis: the same numbers as ``run_analysis(nesting=)``."""
    report = client.analyze(SAMPLE, mat_name="PA12", prc_acronym="sls", lot_size=3, nst_style="shared")
    local = analysis_report(run_analysis(load(SAMPLE), "PA12", "sls", 3, nesting="shared"))
    mine = {c.prc_acronym: c for c in report.chains()}
    for chain in local["process_chains"].values():
        assert mine[chain["prc_acronym"]].nst_style == chain["nst_style"]
        if chain["cost"]["cost_pp"] is not None:
            assert mine[chain["prc_acronym"]].cost.cost_pp == pytest.approx(
                chain["cost"]["cost_pp"], rel=1e-9
            )
    assert report.primary_chain.nst_style == "shared"
    assert {c.nst_style for c in report.chains() if c.tech == "conventional"} == {"alone"}
    client.start_analysis(report.part_id, nst_style="alone")
    again = client.wait_analysis(report.part_id)
    assert again.primary_chain.nst_style == "alone"
    assert again.primary_chain.cost.cost_pp > report.primary_chain.cost.cost_pp  # a build of its own
    with pytest.raises(ServerError) as bad:
        client.upload_part(SAMPLE, mat_name="PA12", prc_acronym="sls", nst_style="sideways")
    assert (bad.value.status, bad.value.code) == (422, "request.invalid")
    assert "alone, shared" in bad.value.problem.detail


def test_client_credentials_sign_in(live: LiveServer) -> None:
    with Client(live.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as machine:
        assert machine.credentials.form["grant_type"] == "client_credentials"
        assert [p.name for p in machine.printer_types()][:1]


def test_print_api_tray_to_gcode_and_supports(client: Client, tmp_path: Path) -> None:
    seen: list[float] = []
    tray = client.prepared_tray("Prusa MK4", [SAMPLE], progress=lambda f, s: seen.append(f))
    assert isinstance(tray, Tray)
    assert (tray.state, tray.ready, len(tray.meshes)) == ("supported", True, 1)
    assert seen == sorted(seen)  # import, create, prepare: one progress from 0 to 1
    assert seen[-1] == pytest.approx(1.0)
    printable, path = client.printable(tray.id, tmp_path / "out" / "tray.gcode")
    gcode = path.read_text()
    assert gcode.count(";LAYER:") == printable.summary["layers"] == 100
    assert not list((tmp_path / "out").glob(".tray.gcode.*"))  # no partial download left behind
    files = {f.file_id for f in client.files()}
    assert printable.file_id in files
    mesh = tray.meshes[0]
    assert isinstance(mesh, Mesh)
    assert mesh.geom.num_triangles == 260  # the calibration cube with its embossed letters
    analysed = client.analyze_mesh(mesh.id)
    checked = analysed if isinstance(analysed, Mesh) else client.wait_result(analysed, Mesh)
    assert checked.problems == []
    renamed = client.rename_mesh(mesh.id, "renamed cube")
    assert renamed.name == "renamed cube"
    assert renamed.id != mesh.id
    exported = client.wait_task(client.export_mesh(mesh.id, "stl_binary"))
    exported_file = client.download(exported.result["file_id"], tmp_path / "cube.stl")
    assert load(exported_file).volume == pytest.approx(load(SAMPLE).volume, rel=1e-6)  # mm³


def test_batch_and_its_reports(client: Client, tmp_path: Path) -> None:
    box_3mf = ("box.3mf", (Path(__file__).parents[1] / "data" / "box.3mf").read_bytes())  # a zip, one part
    files = [
        ("block.stl", _stl_box(20, 20, 20)),
        ("plate.stl", _stl_box(40, 40, 2)),
        ("bad.stl", b"\0" * 90),
        box_3mf,
    ]
    result = client.screen(files, mat_name="PA12", prc_acronym="sls", lot_size=10)
    assert result.status == "done"
    assert result.counts["done"] == 3
    assert [r.basename for r in result.refused] == ["bad.stl"]
    ranked = [next(p for p in result.parts if p.part_id == pid).name for pid in result.ranking]
    assert len(ranked) == 3
    xlsx = client.download_batch_report(result.batch_id or "", tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes()))["Ranking"]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:4]] == ranked
    saving_column = rows[0].index("Saving EUR/part")
    for row, pid in zip(rows[1:4], result.ranking, strict=True):
        line = next(p for p in result.parts if p.part_id == pid)
        assert row[saving_column] == pytest.approx(line.savings_pp)
    csv_text = client.download_batch_report(
        result.batch_id or "", tmp_path / "report.csv", fmt="csv"
    ).read_text()
    assert csv_text.splitlines()[0].startswith("rank,part,file,status")
    assert any(b.batch_id == result.batch_id for b in client.batches())
    with pytest.raises(ServerError) as bad_format:
        client.download_batch_report(result.batch_id or "", tmp_path / "report.pdf", fmt="pdf")  # type: ignore[arg-type]
    assert bad_format.value.status == 422
    assert not (tmp_path / "report.pdf").exists()


def test_async_client_runs_the_same_operations(live: LiveServer, tmp_path: Path) -> None:
    async def scenario() -> tuple[AnalysisReport, list[AnalysisReport], str]:
        async with AsyncClient(live.url, username=USER, password=PASSWORD) as client:
            single = await client.analyze(("cube.stl", SAMPLE.read_bytes()), mat_name="316L")
            many = await asyncio.gather(
                *(client.analyze(("b.stl", _stl_box(10 + i, 10, 10)), mat_name="316L") for i in range(3))
            )
            tray = await client.prepared_tray("Prusa MK4", [SAMPLE])
            _, path = await client.printable(tray.id, tmp_path / "async.gcode")
            return single, list(many), path.read_text()

    single, many, gcode = asyncio.run(scenario())
    assert single.bb_z == pytest.approx(20.0, abs=1e-4)
    assert sorted(round(r.bb_x, 3) for r in many) == [10.0, 11.0, 12.0]
    assert gcode.count(";LAYER:") == 100


def test_server_unreachable_is_a_transport_error() -> None:
    from tests.service.live import free_port

    with pytest.raises(httpx.ConnectError):
        Client(f"http://127.0.0.1:{free_port()}", username="x", password="y", timeout=2)
