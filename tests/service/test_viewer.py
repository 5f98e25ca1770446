"""The web viewer in a real browser: Playwright drives Debian's chromium (headless, software
WebGL) against a real ``makeready serve``. Every number the page shows is compared with the
API's own report; the 3D canvases must have drawn a part; the downloads must be the API's files.

Screenshots of the main views land in ``build/artifacts/viewer`` (``MAKEREADY_ARTIFACTS`` moves
them); the README's pictures are these files.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import playwright.sync_api as playwright_sync
import pytest
import requests
from PIL import Image

from makeready.rendering.display import FLAG_OVERHANG, unpack_display
from tests.conftest import TESTDATA
from tests.service.inprocess import InProcessServer
from tests.service.live import PASSWORD, USER, Api, LiveServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MAKEREADY_ARTIFACTS", ROOT / "build" / "artifacts" / "viewer"))
# A mechanical part with duplicate vertices and thin walls (trimesh's corpus, MIT); the same
# file ships in tests/data for machines without ../shared.
CORPUS_PART = TESTDATA / "trimesh" / "featuretype.STL"
PART = CORPUS_PART if CORPUS_PART.exists() else ROOT / "tests" / "data" / "featuretype.STL"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = InProcessServer(tmp_path_factory.mktemp("viewer") / "data", poll_min_interval_s=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's chromium for the viewer tests (.ci/run does)")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    with playwright_sync.sync_playwright() as p:
        # Software WebGL (SwiftShader): the same pixels on every machine, no GPU needed.
        args = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox"]
        instance = p.chromium.launch(executable_path=executable, headless=True, args=args)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1440, "height": 960}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(30_000)
    page.goto(live.url + "/")
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def _shot(page: Any, name: str, selector: str | None = None) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (page.locator(selector) if selector else page).screenshot(path=str(path))
    return path


def drawn_fraction(png: bytes) -> float:
    """Share of pixels that differ from their row's background (the leftmost pixel of the row).

    The viewport's background is a vertical gradient, so each row starts with its own background
    colour; a part drawn in the middle differs from it by much more than the gradient's step.
    """
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    background = rgb[:, :1, :]
    differs = np.abs(rgb - background).sum(axis=2) > 40
    return float(differs.mean())


def _sign_in(page: Any, password: str = PASSWORD) -> None:
    page.get_by_label("User", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _money(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def test_sign_in_errors_show_the_problem_code(page: Any) -> None:
    """A wrong password shows the problem's code and message, and the page stays usable."""
    _sign_in(page, "not-the-password")
    banner = page.get_by_role("alert")
    banner.wait_for()
    assert "auth.invalid_grant" in banner.inner_text()
    _sign_in(page)
    page.get_by_role("heading", name="Upload parts").wait_for()
    assert page.get_by_role("alert").is_hidden()
    # A file that is not a part: the upload's problem (code file.*) is shown, nothing is listed.
    page.set_input_files(
        "#upload-file", files=[{"name": "notes.stl", "mimeType": "model/stl", "buffer": b"solid x\nfacet"}]
    )
    page.get_by_role("button", name="Upload and analyse").click()
    banner.wait_for()
    assert "[stl." in banner.inner_text() or "[file." in banner.inner_text(), banner.inner_text()


def test_upload_analyse_look_compare_and_print(page: Any, live: LiveServer) -> None:
    api = Api(live.url)
    _sign_in(page)
    page.get_by_label("Process", exact=True).select_option("slm")
    page.get_by_label("Material", exact=True).select_option("316L")
    page.get_by_label("Lot size", exact=True).fill("10")
    page.get_by_label("Units of STL/OBJ/PLY coordinates", exact=True).select_option("inch")
    page.set_input_files("#upload-file", str(PART))
    page.get_by_role("button", name="Upload and analyse").click()

    # The parts list follows the job; the part opens by itself when the analysis is done.
    item = page.locator("#parts button", has_text="featuretype")
    item.wait_for()
    item.locator("[data-status=done]").wait_for(timeout=240_000)
    part_id = item.get_attribute("data-part-id")
    report = api.analysis(part_id)["analysis_report"]
    page.locator("#part-facts[data-part-vol]").wait_for()
    assert float(page.locator("#part-facts").get_attribute("data-part-vol")) == pytest.approx(
        report["part_vol"]
    )
    # trimesh's own test: volume 11.627733431196749 in^3 (MANIFEST.md), uploaded in inches
    assert report["part_vol"] == pytest.approx(11.627733431196749 * 2.54**3, rel=1e-6)  # cm^3
    assert f"{report['part_vol']:,.2f} cm³" in page.locator("#part-facts").inner_text()
    facts = page.locator("#part-facts").inner_text()
    assert f"{report['bb_x']:,.1f} × {report['bb_y']:,.1f} × {report['bb_z']:,.1f} mm" in facts
    assert f"{report['cad_stat']['triangles']:,} triangles" in facts

    # The 3D view drew the part: far more than a sliver of the canvas differs from the background.
    page.wait_for_timeout(500)
    plain = drawn_fraction(page.locator("#viewport").screenshot())
    assert plain > 0.05, plain
    _shot(page, "part-view", "#detail")

    # The display document the page drew is the API's: the problems it lists are the report's.
    display = unpack_display(api.get(f"/api/v1/part/{part_id}/display").content)
    listed = page.locator("#problem-list > li[data-problem]")
    assert listed.count() == len(display.meta["problems"]) >= 1
    duplicate = page.locator("#problem-list li[data-problem=duplicate_vertices]")
    assert f"{display.meta['problems'][0]['count']:,}" in duplicate.inner_text()
    duplicate.locator("summary").click()
    before = page.locator("#viewport").screenshot()
    duplicate.get_by_role("button").first.click()  # fly to the first location
    page.wait_for_timeout(800)
    assert page.locator("#viewport").screenshot() != before

    # Thickness heat map: the legend is in mm and the thin walls are listed.
    page.get_by_label("Wall thickness", exact=True).check()
    legend = page.locator("#legend")
    assert legend.is_visible()
    assert "mm" in legend.inner_text()
    thin = len(display.meta["thickness"]["thin_walls"]) + len(display.meta["thickness"]["narrow_gaps"])
    assert page.locator("#thin-list button").count() == min(thin, 100) > 0
    page.get_by_role("button", name="Reset view").click()
    page.wait_for_timeout(300)
    _shot(page, "thickness", "#panel-model")

    # Overhangs and the generated supports in the chosen orientation.
    assert int((display.face_values["flags"] & FLAG_OVERHANG).astype(bool).sum()) > 0
    page.get_by_label("Overhangs", exact=True).check()
    # overhangs belong to the chosen orientation: the part turns that way up by itself
    assert "(chosen chain)" in page.locator("#orientation option:checked").inner_text()
    if display.meta["supports"]["faces"]:
        page.get_by_label("Supports", exact=True).check()
    page.wait_for_timeout(300)
    assert drawn_fraction(page.locator("#viewport").screenshot()) > 0.05
    _shot(page, "supports", "#panel-model")
    page.get_by_label("Cut the part", exact=True).check()
    page.locator("#section").fill("400")
    assert "cut at z =" in page.locator("#section-value").inner_text()

    # Process chains: every number in the table is the report's, every chain has a bar.
    page.get_by_role("tab", name="Process chains").click()
    chains = report["process_chains"]
    rows = page.locator("#chains tbody tr")
    assert rows.count() == len(chains)
    for i in range(rows.count()):
        row = rows.nth(i)
        chain = chains[row.get_attribute("data-chain-id")]
        feasible = chain["process_chain_stat"]["feasible"]
        assert row.locator(".cost-pp").inner_text() == _money(chain["cost"]["cost_pp"])
        assert row.locator(".cost-pl").inner_text() == _money(chain["cost"]["cost_pl"])
        assert row.locator(".leadtime").inner_text() == (_money(chain["leadtime"], 0) if feasible else "–")
        assert row.locator(".co2-pp").inner_text() == _money(chain["co2"]["co2_pp"], 3)
        assert row.locator(".feasible").inner_text().startswith("yes" if feasible else "no")
    assert page.locator("#chart-cost svg g").count() == len(chains)
    primary = chains[report["primary_process_chain_id"]]
    even = primary["break_even"]
    if even.get("lot_sizes"):
        assert page.locator("#chart-break-even polyline").count() == 2
    rows.last.click()
    assert rows.last.get_attribute("aria-selected") == "true"
    _shot(page, "process-chains", "#detail")

    # Report downloads: the JSON is the API's report, the XLSX is the API's workbook.
    with page.expect_download() as got:
        page.get_by_role("button", name="Report JSON").click()
    assert got.value.suggested_filename == "featuretype-analysis.json"
    assert json.loads(Path(got.value.path()).read_text())["process_chains"] == chains
    with page.expect_download() as got:
        page.get_by_role("button", name="Report XLSX").click()
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"

    # Tray: the 3D Print API flow on an FDM printer, drawn on the plate; the G-code downloads.
    page.get_by_role("tab", name="Tray").click()
    page.get_by_label("Printer", exact=True).select_option(label="Prusa MK4 (FDM)")
    page.get_by_label("Copies", exact=True).fill("2")
    page.get_by_role("button", name="Prepare a tray").click()
    printable_button = page.get_by_role("button", name="Download printable")
    playwright_sync.expect(printable_button).to_be_enabled(timeout=240_000)
    page.wait_for_timeout(500)
    assert "2 part(s) on Prusa MK4" in page.locator("#tray-state").inner_text()
    _shot(page, "tray", "#panel-tray")
    assert drawn_fraction(page.locator("#tray-viewport").screenshot()) > 0.02
    with page.expect_download(timeout=240_000) as got:
        printable_button.click()
    gcode = Path(got.value.path()).read_text()
    assert got.value.suggested_filename.endswith(".gcode")
    assert gcode.count(";LAYER_CHANGE") > 10 or gcode.count(";LAYER:") > 10, gcode[:400]
    files = {f["name"]: f for f in api.get("/api/v1/files").json()}
    assert len(gcode.encode()) == files[got.value.suggested_filename]["size"]


def test_suspect_units_and_shared_builds_are_shown(page: Any, live: LiveServer) -> None:
    """A part written in metres, read as mm: priced, with the units_suspect warning above it."""
    import trimesh

    tiny = bytes(trimesh.creation.box(extents=(0.16, 0.08, 0.02)).export(file_type="stl"))
    _sign_in(page)
    page.get_by_label("Process", exact=True).select_option("sls")
    page.get_by_label("Material", exact=True).select_option("PA12")
    page.get_by_label("Additive builds", exact=True).select_option("shared")
    page.set_input_files(
        "#upload-file", files=[{"name": "bracket-in-metres.stl", "mimeType": "model/stl", "buffer": tiny}]
    )
    page.get_by_role("button", name="Upload and analyse").click()
    item = page.locator("#parts button", has_text="bracket-in-metres")
    item.wait_for()
    item.locator("[data-status=done]").wait_for(timeout=240_000)
    warnings = page.locator("#part-warnings")
    warnings.wait_for()
    text = warnings.inner_text()
    assert "units_suspect" in text
    assert "metres" in text
    assert "160 mm" in text
    report = Api(live.url).analysis(item.get_attribute("data-part-id"))["analysis_report"]
    assert report["warnings"][0]["code"] == "units_suspect"
    page.get_by_role("tab", name="Process chains").click()
    assert page.locator("#nesting").inner_text() == "shared with other orders"
    _shot(page, "units-warning")


def test_small_screens_get_one_column(page: Any, live: LiveServer) -> None:
    """Phones: the parts list stacks above the part, nothing overflows sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page)
    page.get_by_role("heading", name="Upload parts").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    side = page.locator("nav.side").bounding_box()
    main = page.locator("main").bounding_box()
    assert main["y"] >= side["y"] + side["height"] - 1


# ---- the endpoints the viewer uses (no browser) ----------------------------------------------


def _get(api: Api, path: str, **headers: str) -> requests.Response:
    return requests.get(api.url + path, headers={**api.headers, **headers}, cookies=api.cookies, timeout=60)


def test_the_root_serves_the_viewer_to_browsers_and_json_to_clients(live: LiveServer) -> None:
    page = requests.get(live.url + "/", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert "<title>makeready viewer</title>" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    info = requests.get(live.url + "/", timeout=30).json()
    assert info["viewer"] == "/viewer/"
    assert info["token_endpoint"].endswith("/openid-connect/token")
    script = requests.get(live.url + "/viewer/vendor/three.min.js", timeout=30)
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert requests.get(live.url + "/viewer/../pyproject.toml", timeout=30).status_code == 404


def test_display_documents_of_parts_and_meshes(live: LiveServer) -> None:
    api = Api(live.url)
    upload = api.post(
        "/api/v1/part/",
        files={"file": ("featuretype.STL", PART.read_bytes())},
        data={"mat_name": "PLA", "prc_acronym": "fdm", "units": "inch"},
    )
    part_id = upload.json()["part_id"]
    report = api.analysis(part_id)["analysis_report"]
    path = f"/api/v1/part/{part_id}/display"
    zipped = _get(api, path, **{"Accept-Encoding": "gzip"})
    plain = _get(api, path, **{"Accept-Encoding": "identity"})
    assert zipped.headers["content-type"] == "application/vnd.makeready.rendering.display"
    assert plain.headers.get("content-encoding") is None
    assert zipped.content == plain.content
    document = unpack_display(plain.content)
    assert document.meta["part_id"] == part_id
    assert document.meta["source_faces"] == report["cad_stat"]["triangles"]
    extent = np.ptp(document.positions, axis=0)
    assert extent == pytest.approx([report["bb_x"], report["bb_y"], report["bb_z"]], rel=1e-5)
    again = _get(api, path, **{"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
    assert not again.content
    # a part whose analysis has not run has nothing to draw: 409 with the code
    idle = api.post(
        "/api/v1/part/", files={"file": ("cube.stl", PART.read_bytes())}, data={"start_analysis": "false"}
    ).json()["part_id"]
    refused = api.get(f"/api/v1/part/{idle}/display")
    assert refused.status_code == 409
    assert refused.json()["code"] == "part.not_analysed"
    assert api.get(f"/api/v1/analysisResult/{idle}/report.xlsx").json()["code"] == "part.not_analysed"
    assert api.get("/api/v1/part/0123/display").status_code == 404
    # the part's workbook
    book = api.get(f"/api/v1/analysisResult/{part_id}/report.xlsx")
    assert book.headers["content-disposition"] == 'attachment; filename="featuretype-analysis.xlsx"'
    sheets = openpyxl.load_workbook(io.BytesIO(book.content))
    assert len(list(sheets["Chains"].iter_rows())) == len(report["process_chains"]) + 1
    # a 3D Print API mesh: its display is in mm, the mesh JSON in cm
    file_id = api.get(f"/api/v1/part/{part_id}/").json()["file_id"]
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": file_id, "units": "inch"}))
    shown = unpack_display(api.get(f"/api/v1/geom/meshes/{mesh['id']}/display").content)
    box = mesh["geom"]["bounding_box"]
    expected = 10 * np.array([box["min"], box["max"]])  # 127 x 63.5 x 34.9 mm: 5 x 2.5 x 1.375 in
    np.testing.assert_allclose(shown.meta["bounds"], expected, atol=1e-4)
    assert np.ptp(expected, axis=0) == pytest.approx([127.0, 63.5, 34.925], abs=1e-3)


def test_the_vendored_bundle_is_the_locked_three_release() -> None:
    """src/makeready/viewer/vendor is what `make viewer-vendor` builds from web/package-lock.json."""
    lock = json.loads((ROOT / "web" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/three"]["version"]
    vendor = ROOT / "src" / "makeready" / "viewer" / "vendor"
    assert json.loads((vendor / "VERSIONS.json").read_text()) == {"three": locked}
    bundle = (vendor / "three.min.js").read_text()
    revision = locked.split(".")[1]
    assert f'"{revision}"' in bundle  # three.js's REVISION constant
    assert "OrbitControls" in bundle
    assert "MIT License" in (vendor / "three.LICENSE").read_text()
