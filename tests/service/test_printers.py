"""Printers and print jobs against a live makeready server and a REAL OctoPrint with its virtual printer.

Truth is OctoPrint's own record: its file list says which file it printed and how each print
ended (``prints.success`` / ``prints.failure``), independent of what makeready reports.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from makeready import Body, Part, save
from tests.meshes import box
from tests.service.inprocess import InProcessServer
from tests.service.live import OTHER, OTHER_PASSWORD, PASSWORD, USER, Api, LiveServer
from tests.service.octoprint_server import AMBIENT_C, OctoPrintServer
from tests.service.test_print_api import FDM, FDM_PROFILE

pytestmark = pytest.mark.printer

#: A slow G-code: 40 moves of 20 mm at 120 mm/min, 1 s each on the virtual printer (it runs moves
#: ten times fast and acknowledges 4 ahead), so about 36 s to print: time to cancel it.
SLOW_GCODE = b"G28\nG90\n" + b"".join(b"G1 X%d Y10 F120\n" % (10 + 20 * (i % 2)) for i in range(40))


@pytest.fixture(scope="module")
def octoprint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrintServer]:
    server = OctoPrintServer(tmp_path_factory.mktemp("octoprint")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("printers")
    server = InProcessServer(root / "data")
    server.start()
    server.add_user(OTHER, OTHER_PASSWORD, "read write")
    try:
        yield server
    finally:
        server.stop()


def _register(api: Api, octoprint: OctoPrintServer, **changes: Any) -> Any:
    body = {
        "printer_name": "virtual MK4",
        "printer_type_id": "Prusa MK4",
        "connection": {"type": "octoprint", "url": octoprint.url, "api_key": octoprint.api_key},
        **changes,
    }
    return api.post("/api/v1/print/printers/register", json=body)


def _wait_job(
    api: Api, job_id: str, until: set[str], timeout: float = 240.0
) -> tuple[dict[str, Any], list[float]]:
    """Poll the job until its status is in ``until``; the progress values seen on the way."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    while True:
        reply = api.get(f"/api/v1/print/jobs/{job_id}")
        assert reply.status_code == 200, reply.text
        job = reply.json()
        if job["job_progress"] is not None:
            seen.append(job["job_progress"])
        if job["job_status"] in until:
            return job, seen
        assert time.monotonic() < deadline, job
        time.sleep(0.25)


def _octoprint_record(octoprint: OctoPrintServer, name: str) -> dict[str, Any]:
    reply = octoprint.get(f"/api/files/local/{name}")
    assert reply.status_code == 200, reply.text
    return reply.json().get("prints") or {}


def test_registration_checks_the_connection_and_keeps_the_key_sealed(
    live: LiveServer, octoprint: OctoPrintServer
):
    api = Api(live.url)
    wrong_key = _register(
        api, octoprint, connection={"type": "octoprint", "url": octoprint.url, "api_key": "nope"}
    )
    assert wrong_key.status_code == 502, wrong_key.text
    assert wrong_key.json()["code"] == "printer.unauthorized"
    closed = _register(
        api, octoprint, connection={"type": "octoprint", "url": "http://127.0.0.1:9", "api_key": "k"}
    )
    assert closed.status_code == 502
    assert closed.json()["code"] == "printer.unreachable"
    unknown_type = _register(api, octoprint, printer_type_id="Acme 3000")
    assert unknown_type.status_code == 422
    assert unknown_type.json()["code"] == "catalog.not_found"

    reply = _register(api, octoprint)
    assert reply.status_code == 201, reply.text
    printer = reply.json()
    assert printer["printer_name"] == "virtual MK4"
    assert printer["printer_type_id"] == FDM
    assert printer["connection"]["server"].startswith("OctoPrint 1.")
    assert octoprint.api_key not in reply.text  # never returned
    assert [p["id"] for p in api.get("/api/v1/print/printers").json()] == [printer["id"]]
    assert octoprint.api_key not in api.get(f"/api/v1/print/printers/{printer['id']}").text

    # Sealed at rest: the key's text is nowhere in the database file.
    database = Path(live.data_dir) / "makeready.db"
    with sqlite3.connect(database) as db:
        sealed = db.execute("select api_key_sealed from printers").fetchone()[0]
    assert octoprint.api_key not in sealed
    # Read in another process: the server runs in this one, and closing a file descriptor of the
    # database drops every POSIX lock this process holds on it, which SQLite relies on.
    stored = subprocess.run(["cat", str(database)], capture_output=True, check=True).stdout
    assert octoprint.api_key.encode() not in stored

    bob = Api(live.url, OTHER, OTHER_PASSWORD)
    assert bob.get(f"/api/v1/print/printers/{printer['id']}").status_code == 404  # owner-scoped
    assert bob.get("/api/v1/print/printers").json() == []
    assert bob.get(f"/api/v1/print/printers/status/{printer['id']}").status_code == 404

    status = api.get(f"/api/v1/print/printers/status/{printer['id']}").json()
    assert status["printer_status"] == "ready", status
    assert status["data"]["temperature"]["bed"]["actual"] == pytest.approx(AMBIENT_C)  # what OctoPrint says
    assert api.delete(f"/api/v1/print/printers/{printer['id']}").status_code == 204
    assert api.get(f"/api/v1/print/printers/{printer['id']}").status_code == 404


def _prepared_tray_printable(api: Api) -> tuple[str, str]:
    """A 12 x 12 x 1 mm plate prepared on the MK4 and sliced: (tray id, printable file id)."""
    vertices, faces = box((12.0, 12.0, 1.0))
    buffer = io.BytesIO()
    save(Part((Body("plate", vertices, faces),), "generated", name="plate"), buffer, "stl")
    upload = api.post("/api/v1/files/upload", files={"file": ("plate.stl", buffer.getvalue())}).json()
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": upload["file_id"]}))
    tray = api.done(
        api.post(
            "/api/v1/print/trays",
            json={"printer_type_id": FDM, "profile_id": FDM_PROFILE, "mesh_ids": [mesh["id"]]},
        )
    )
    prepared = api.done(api.post("/api/v1/print/trays/prepare", json={"id": tray["id"]}))
    printable = api.done(api.post("/api/v1/print/trays/generate-printable", json={"id": prepared["id"]}))
    return prepared["id"], printable["file_id"]


def test_a_prepared_tray_prints_to_completion_on_the_virtual_printer(
    live: LiveServer, octoprint: OctoPrintServer
):
    api = Api(live.url)
    printer = _register(api, octoprint).json()
    tray_id, file_id = _prepared_tray_printable(api)
    not_sliced = api.post(
        f"/api/v1/print/printers/{printer['id']}/jobs",
        json={"tray_id": "0" * 8 + "-0000-4000-8000-" + "0" * 12},
    )
    assert not_sliced.status_code == 404

    created = api.post(
        f"/api/v1/print/printers/{printer['id']}/jobs", json={"tray_id": tray_id, "job_name": "plate"}
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["job_status"] == "printing"
    assert job["file_id"] == file_id
    assert job["tray_id"] == tray_id

    status = api.get(f"/api/v1/print/printers/status/{printer['id']}").json()
    assert status["printer_status"] in ("printing", "busy"), status
    assert status["job_id"] == job["id"]
    busy = api.post(f"/api/v1/print/printers/{printer['id']}/jobs", json={"file_id": file_id})
    assert busy.status_code == 409, busy.text
    assert busy.json()["code"] == "printer.busy"

    done, progress = _wait_job(api, job["id"], {"completed", "failed", "cancelled"})
    assert done["job_status"] == "completed", done
    assert done["job_progress"] == 1.0
    assert done["finished"] is not None
    assert any(0.0 < p < 1.0 for p in progress), progress  # progress was read while it printed
    assert progress == sorted(progress)

    # OctoPrint's own record: the file makeready sent is the tray's G-code, printed once, successfully.
    files = octoprint.get("/api/files/local").json()["files"]
    sent = [f for f in files if f["name"].startswith("makeready-")]
    assert len(sent) == 1
    assert sent[0]["name"].endswith(".gcode")
    record = _octoprint_record(octoprint, sent[0]["name"])
    assert record["success"] == 1
    assert record.get("failure", 0) == 0
    gcode = octoprint.get(f"/downloads/files/local/{sent[0]['name']}")
    assert gcode.content == api.get(f"/api/v1/files/{file_id}").content
    assert [j["id"] for j in api.get(f"/api/v1/print/printers/{printer['id']}/jobs").json()] == [job["id"]]


def test_a_job_is_cancelled_on_the_printer(live: LiveServer, octoprint: OctoPrintServer):
    api = Api(live.url)
    printer = _register(api, octoprint).json()
    upload = api.post("/api/v1/files/upload", files={"file": ("slow.gcode", SLOW_GCODE)}).json()
    not_gcode = api.post(
        "/api/v1/files/upload", files={"file": ("part.stl", b"solid x\nendsolid x\n")}
    ).json()
    refused = api.post(f"/api/v1/print/printers/{printer['id']}/jobs", json={"file_id": not_gcode["file_id"]})
    assert refused.status_code == 415
    assert refused.json()["code"] == "printer.unsupported_file"

    job = api.post(f"/api/v1/print/printers/{printer['id']}/jobs", json={"file_id": upload["file_id"]}).json()
    assert job["job_name"] == "slow.gcode"
    _wait_job(api, job["id"], {"printing"})
    time.sleep(1.0)
    bob = Api(live.url, OTHER, OTHER_PASSWORD)
    assert bob.put(f"/api/v1/print/jobs/{job['id']}", json={"job_status": "cancelled"}).status_code == 404
    cancel = api.put(f"/api/v1/print/jobs/{job['id']}", json={"job_status": "cancelled"})
    assert cancel.status_code == 200, cancel.text
    ended, _ = _wait_job(api, job["id"], {"completed", "failed", "cancelled"}, timeout=60)
    assert ended["job_status"] == "cancelled", ended
    again = api.put(f"/api/v1/print/jobs/{job['id']}", json={"job_status": "cancelled"})
    assert again.status_code == 409
    record = _octoprint_record(octoprint, _remote(octoprint, "slow"))
    assert record["failure"] == 1  # OctoPrint recorded the print as ended early
    assert record.get("success", 0) == 0


def _remote(octoprint: OctoPrintServer, stem: str) -> str:
    names = [f["name"] for f in octoprint.get("/api/files/local").json()["files"] if stem in f["name"]]
    assert len(names) == 1, names
    return names[0]


#: A short G-code (ten 10 mm moves at 600 mm/min: about a second on the virtual printer).
SHORT_GCODE = b"G28\nG90\n" + b"".join(b"G1 X%d Y20 F600\n" % (10 + 10 * (i % 2)) for i in range(10))


def _cli(live: LiveServer, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**live.env, "MAKEREADY_URL": live.url, "MAKEREADY_USER": USER, "MAKEREADY_PASSWORD": PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "makeready", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_cli_registers_a_printer_and_prints_a_file_to_the_end(
    live: LiveServer, octoprint: OctoPrintServer, tmp_path: Path
):
    added = _cli(
        live, "printers", "add", "bench MK4", "--url", octoprint.url, "--api-key", octoprint.api_key, "--json"
    )
    assert added.returncode == 0, added.stderr + added.stdout
    printer = json.loads(added.stdout)
    assert printer["printer_name"] == "bench MK4"
    listed = _cli(live, "printers", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {p["printer_name"]: p["printer_status"] for p in json.loads(listed.stdout)}["bench MK4"] == "ready"
    table = _cli(live, "printers", "status", "bench mk4")
    assert table.returncode == 0, table.stderr
    assert "ready" in table.stdout
    assert "bed" in table.stdout
    unknown = _cli(live, "printers", "status", "no such printer")
    assert unknown.returncode == 2
    assert "request.not_found" in unknown.stderr + unknown.stdout

    gcode = tmp_path / "short.gcode"
    gcode.write_bytes(SHORT_GCODE)
    printed = _cli(live, "print", str(gcode), "--printer", "bench MK4", "--wait", "--json")
    assert printed.returncode == 0, printed.stderr + printed.stdout
    job = json.loads(printed.stdout)
    assert job["job_status"] == "completed"
    assert job["job_name"] == "short.gcode"
    record = _octoprint_record(octoprint, _remote(octoprint, "short"))
    assert record["success"] == 1

    removed = _cli(live, "printers", "remove", "bench MK4")
    assert removed.returncode == 0, removed.stderr
    assert "bench MK4" not in _cli(live, "printers", "list", "--json").stdout


def test_sdk_starts_and_follows_a_print(live: LiveServer, octoprint: OctoPrintServer):
    from makeready.client import Client
    from makeready.wire import Printable

    with Client(live.url, username=USER, password=PASSWORD) as client:
        printer = client.register_printer(
            "sdk MK4", octoprint.url, octoprint.api_key, printer_type="Prusa MK4"
        )
        file_id = client.upload_file(("sdk.gcode", SHORT_GCODE)).file_id
        job = client.start_print(printer.id, file_id=file_id, job_name="from the SDK")
        seen: list[float] = []
        done = client.wait_print(job.id, timeout=120, progress=lambda fraction, stage: seen.append(fraction))
        assert done.job_status == "completed"
        assert done.job_name == "from the SDK"
        assert client.print_job(job.id).job_progress == 1.0
        assert job.id in [j.id for j in client.print_jobs(printer.id)]
        assert client.printer_status(printer.id).printer_status in ("ready", "busy")
        client.delete_printer(printer.id)

        # A tray's raw file and its translation, through the SDK.
        vertices, faces = box((12.0, 12.0, 1.0))
        buffer = io.BytesIO()
        save(Part((Body("plate", vertices, faces),), "generated", name="plate"), buffer, "stl")
        tray = client.prepared_tray("Prusa MK4", [("plate.stl", buffer.getvalue())])
        printable = client.wait_result(client.generate_printable(tray.id, generate_raw=True), Printable)
        assert printable.raw_file_id is not None
        again = client.wait_result(client.translate_tray(printable.raw_file_id, "Prusa MK4"), Printable)
        assert again.summary["layers"] == printable.summary["layers"] == 5


def test_print_on_octoprint_example(live: LiveServer, octoprint: OctoPrintServer, tmp_path: Path):
    """examples/print_on_octoprint.py: a part prepared on the MK4 and printed to the end."""
    vertices, faces = box((10.0, 10.0, 0.6))
    part = tmp_path / "coaster.stl"
    save(Part((Body("coaster", vertices, faces),), "generated", name="coaster"), part)
    env = {
        **live.env,
        "MAKEREADY_URL": live.url,
        "MAKEREADY_USER": USER,
        "MAKEREADY_PASSWORD": PASSWORD,
        "OCTOPRINT_URL": octoprint.url,
        "OCTOPRINT_API_KEY": octoprint.api_key,
    }
    example = Path(__file__).resolve().parents[2] / "examples" / "print_on_octoprint.py"
    done = subprocess.run(
        [sys.executable, str(example), str(part)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "printer my MK4: OctoPrint 1." in done.stdout
    assert "tray supported: 3 layers, wrote coaster.gcode" in done.stdout
    assert "job coaster: printing" in done.stdout
    assert "job coaster: completed" in done.stdout
    files = octoprint.get("/api/files/local").json()["files"]
    newest = max((f for f in files if f["name"].startswith("makeready-")), key=lambda f: f["date"])
    assert (tmp_path / "coaster.gcode").read_bytes() == octoprint.get(
        f"/downloads/files/local/{newest['name']}"
    ).content
    assert _octoprint_record(octoprint, newest["name"])["success"] == 1


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1:9", "clé"),
        ("http://a..b", "key"),
        ("http://[::1:9", "key"),
        ("http://127.0.0.1:9", "a b"),
    ],
)
def test_unusable_urls_and_keys_are_request_errors(url, key):
    """Bad input, not a crash: the connector refuses it before any request (schemathesis found these)."""
    from makeready import MakereadyError
    from makeready.connectors import connector

    with pytest.raises(MakereadyError) as err:
        connector("octoprint", url, key, timeout_s=1).identify()
    assert err.value.code == "request.invalid"
