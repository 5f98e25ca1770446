"""3D Spark API's snippet, step by step, against a live server (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests

from makeready import load, run_analysis
from makeready.rendering.spark import SIMPLIFIED_KEYS, analysis_report
from tests.conftest import corpus_path
from tests.service.live import CLIENT_ID, CLIENT_SECRET, PASSWORD, USER, Api, LiveServer
from tests.test_costing import _api_report_keys

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def _snippet(base: str, cad_file_path: Path, mat_name: str = "316L", prc_acronym: str = "slm") -> dict:
    """3D Spark API's Python example with only the host names changed."""
    # 1. Authentication token
    form_data = {
        "grant_type": "password",
        "username": USER,
        "password": PASSWORD,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    login_url = f"{base}/realms/makeready/protocol/openid-connect/token"
    response = requests.post(login_url, data=form_data, timeout=30)
    response_content = json.loads(response.content)
    authentication_token = response_content["access_token"]
    # 2. Session cookie (CSRF token)
    response = requests.get(f"{base}/api-auth/login", timeout=30)
    session_cookie = response.cookies["csrftoken"]
    # 3. Upload CAD file and meta data
    files = {"file": open(cad_file_path, "rb")}  # noqa: SIM115 - as in the API's snippet
    form_data = {"start_analysis": "true", "mat_name": mat_name, "prc_acronym": prc_acronym}
    headers = {"Authorization": "Bearer " + authentication_token, "X-CSRFToken": session_cookie}
    cookies = {"csrftoken": session_cookie}
    response = requests.post(
        f"{base}/api/v1/part/", data=form_data, files=files, headers=headers, cookies=cookies, timeout=120
    )
    files["file"].close()
    upload = json.loads(response.content)
    part_id = upload["part_id"]
    # 4. Poll results
    deadline = time.monotonic() + 300
    while True:
        response = requests.get(
            f"{base}/api/v1/analysisResult/{part_id}/", headers=headers, cookies=cookies, timeout=60
        )
        body = json.loads(response.content)
        if body["analysis_finished"]:
            break
        assert body["analysis_report"] is None
        assert time.monotonic() < deadline
        time.sleep(0.3)
    simple = requests.get(
        f"{base}/api/v1/analysisResult/simplified/{part_id}/", headers=headers, cookies=cookies, timeout=60
    )
    return {"upload": upload, "status": response.status_code, "result": body, "simplified": simple.json()}


def test_api_snippet_with_an_stl(server: LiveServer) -> None:
    out = _snippet(server.url, CUBE)
    upload = out["upload"]
    assert set(upload) == {"part_id", "task", "message", "basename", "name"}
    assert upload["task"] == "upload_part"
    assert upload["basename"] == "20mm-xyz-cube.stl"
    assert len(upload["part_id"]) == 32
    report = out["result"]["analysis_report"]
    top, chain_keys = _api_report_keys()
    assert top <= set(report)
    for chain in report["process_chains"].values():
        assert chain_keys <= set(chain)
    primary = report["process_chains"][report["primary_process_chain_id"]]
    assert primary["prc_acronym"] == "slm"
    assert primary["material_name"] == "316L"
    # Independent truth: the calibration cube is 20 mm on each side; the service must report what
    # the library reports for the same file.
    assert report["bb_x"] == pytest.approx(20.0, abs=1e-3)
    assert report["bb_z"] == pytest.approx(20.0, abs=1e-6)
    local = analysis_report(run_analysis(load(CUBE), "316L", "slm", 1))
    assert report["part_vol"] == pytest.approx(local["part_vol"], rel=1e-12)
    local_primary = local["process_chains"][local["primary_process_chain_id"]]
    assert primary["cost"]["cost_pp"] == pytest.approx(local_primary["cost"]["cost_pp"], rel=1e-9)
    simple = out["simplified"]
    assert set(simple) == set(SIMPLIFIED_KEYS)
    assert simple["part_id"] == upload["part_id"]
    assert simple["cost_pp"] == primary["cost"]["cost_pp"]


@pytest.mark.corpus
def test_api_snippet_with_a_step(server: LiveServer) -> None:
    step = corpus_path("trimesh/featuretype.STEP")
    out = _snippet(server.url, step)
    report = out["result"]["analysis_report"]
    assert report is not None, out["result"]
    assert report["basename"] == "featuretype.STEP"
    local = load(step)
    assert report["bb_x"] == pytest.approx(float(local.extents[0]), rel=1e-9)
    assert out["simplified"]["part_vol"] == pytest.approx(report["part_vol"])


def test_part_list_get_delete_and_catalog(server: LiveServer) -> None:
    api = Api(server.url)
    with CUBE.open("rb") as handle:
        created = api.post(
            "/api/v1/part/",
            data={
                "start_analysis": "false",
                "mat_name": "PA12",
                "prc_acronym": "sls",
                "lot_size": "20",
                "name": "bracket",
            },
            files={"file": handle},
        )
    assert created.status_code == 201, created.text
    part_id = created.json()["part_id"]
    assert created.json()["name"] == "bracket"
    listed = api.get("/api/v1/part/").json()
    assert part_id in [p["part_id"] for p in listed]
    one = api.get(f"/api/v1/part/{part_id}/").json()
    assert one["status"] == "uploaded"
    assert one["lot_size"] == 20
    assert one["prc_acronym"] == "sls"
    waiting = api.get(f"/api/v1/analysisResult/{part_id}/").json()
    assert waiting["analysis_finished"] is False
    assert waiting["analysis_report"] is None
    started = api.post(f"/api/v1/part/{part_id}/start_analysis/", json={"lot_size": 50})
    assert started.status_code == 202, started.text
    report = api.analysis(part_id)["analysis_report"]
    assert report["lot_size"] == 50
    assert report["process_chains"][report["primary_process_chain_id"]]["prc_acronym"] == "sls"
    assert api.delete(f"/api/v1/part/{part_id}/").status_code == 204
    assert api.get(f"/api/v1/part/{part_id}/").status_code == 404
    # Catalog: the machine named in a report is served under its mac_id.
    chain = report["process_chains"][report["primary_process_chain_id"]]
    machine = api.get(f"/api/v1/machine/{chain['mac_id']}/")
    assert machine.status_code == 200
    assert machine.json()["mac_name"] == chain["machine_name"]
    material = api.get(f"/api/v1/material/{chain['mat_id']}/").json()
    assert material["mat_name"] == chain["material_name"]
    config = api.get("/api/v1/default-costing-config/").json()
    assert config["costing_config_id"] == chain["costing_config_id"]
    assert {"designer_hr", "am_expert_hr", "technician_hr", "overhead", "margin_default"} <= set(config)
    assert api.get(f"/api/v1/costing-config/{config['costing_config_id']}/").status_code == 200
    assert all(m["prc_acronym"] == "slm" for m in api.get("/api/v1/machine/?prc_acronym=slm").json())


def test_feedback_calibrates_the_next_analysis(server: LiveServer) -> None:
    api = Api(server.url)
    with CUBE.open("rb") as handle:
        part_id = api.post(
            "/api/v1/part/", data={"mat_name": "316L", "prc_acronym": "slm"}, files={"file": handle}
        ).json()["part_id"]
    report = api.analysis(part_id)["analysis_report"]
    chain_id = report["primary_process_chain_id"]
    chain = report["process_chains"][chain_id]
    hours, minutes = (int(x) for x in chain["mac_t"]["mac_t_pj"].split(":"))
    predicted = hours + minutes / 60
    reply = api.put(
        f"/api/v1/process-chain/{chain_id}/feedback/", json={"mac_t_pj": 2 * predicted, "cost_pp": 500}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["actuals"]["process_time"] == pytest.approx(2 * predicted)
    rerun = api.post(f"/api/v1/part/{part_id}/start_analysis/")
    assert rerun.status_code == 202
    calibrated = api.analysis(part_id)["analysis_report"]
    assert calibrated["calibration"]["records"] >= 1
    again = calibrated["process_chains"][calibrated["primary_process_chain_id"]]
    assert again["bld_h"] == pytest.approx(chain["bld_h"])  # geometry unchanged
    assert again["cost"]["cost_pp"] > chain["cost"]["cost_pp"]  # the machine runs twice as long
    missing = api.put(
        "/api/v1/process-chain/0123456789abcdef0123456789abcdef/feedback/", json={"mac_t_pj": 1}
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "request.not_found"
