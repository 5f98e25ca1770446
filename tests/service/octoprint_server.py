"""A real OctoPrint server (PyPI ``octoprint``, AGPL: a test peer in its own venv, never a dependency).

It runs on 127.0.0.1 with its bundled virtual printer (a simulated Marlin that moves at ten
times the commanded speed), one admin user and one application key, as an OctoPrint on a
Raspberry Pi would after its set-up wizard. The printer stands in a 250 °C room
(:data:`AMBIENT_C`): its bed and nozzle are always hot, so ``M190``/``M109 S…`` return at once
instead of waiting on its 10 °C/s heaters (27.8 -> 22.5 s for the printed-plate test; the rest
is OctoPrint streaming the G-code line by line). Its ``pinnedExtruders`` setting would hold the
nozzle alone, but OctoPrint 1.x reads the extruder numbers back as strings and the pin never
applies. ``make test`` installs it into
``.peers/octoprint`` (``make peers``); ``MAKEREADY_OCTOPRINT`` may name another executable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.service.live import free_port

ROOT = Path(__file__).resolve().parents[2]
#: The virtual printer's room temperature, which its heaters start from and stay at when off (°C).
AMBIENT_C = 250.0
API_KEY = "5E2C1B0A9F8E7D6C5B4A39281706F5E4"
CONFIG = """\
server:
  firstRun: false
  onlineCheck: {enabled: false}
  pluginBlacklist: {enabled: false}
  seenWizards: {corewizard: 4}
plugins:
  virtual_printer:
    enabled: true
    throttle: 0.0
    ambientTemperature: 250.0  # AMBIENT_C
  tracking: {enabled: false}
  announcements: {enabled: false}
  errortracking: {enabled: false}
  softwareupdate: {ignore_throttled: true}
"""


def octoprint_executable() -> str:
    """The ``octoprint`` to run; fails in CI and skips elsewhere when there is none."""
    candidates = [
        os.environ.get("MAKEREADY_OCTOPRINT"),
        str(ROOT / ".peers" / "octoprint" / "bin" / "octoprint"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("octoprint")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must install OctoPrint for the printer tests (`make peers`, which `make test` runs)")
    pytest.skip("no OctoPrint on this machine (`make peers` installs it into .peers/octoprint)")


class OctoPrintServer:
    """``octoprint serve`` with the virtual printer connected; :attr:`url` and :data:`API_KEY`."""

    def __init__(self, basedir: Path) -> None:
        self.executable = octoprint_executable()
        self.basedir = basedir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = API_KEY
        self.process: subprocess.Popen[bytes] | None = None
        self.log = basedir / "serve.log"

    def start(self, timeout: float = 90.0) -> OctoPrintServer:
        self.basedir.mkdir(parents=True, exist_ok=True)
        (self.basedir / "config.yaml").write_text(CONFIG)
        keys = self.basedir / "data" / "appkeys"
        keys.mkdir(parents=True, exist_ok=True)
        (keys / "keys.yaml").write_text(f"maker:\n- app_id: makeready\n  api_key: {API_KEY}\n")
        subprocess.run(
            [self.executable, "--basedir", str(self.basedir), "user", "add", "maker", "--password", "maker-pass",
             "--admin"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [self.executable, "--basedir", str(self.basedir), "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--iknowwhatimdoing"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if self.get("/api/version").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "OctoPrint did not start: " + self.log.read_text()[-3000:]
            time.sleep(0.3)
        connected = self.post("/api/connection", json={"command": "connect", "port": "VIRTUAL"})
        assert connected.status_code == 204, connected.text
        # Connected once OctoPrint reads the printer's first temperature report.
        while "bed" not in (self.get("/api/printer").json() if self.get("/api/printer").ok else {}).get(
            "temperature", {}
        ):
            assert time.monotonic() < deadline, "the virtual printer did not connect"
            time.sleep(0.2)
        return self

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, headers={"X-Api-Key": API_KEY}, timeout=10)

    def post(self, path: str, **kw: object) -> requests.Response:
        return requests.post(self.url + path, headers={"X-Api-Key": API_KEY}, timeout=10, **kw)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
