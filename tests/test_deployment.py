"""The deployment files name only settings that exist and commands that run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from makeready.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_compose_uses_known_settings_and_health_checks() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"api", "worker", "redis", "postgres", "minio"}
    env = services["api"]["environment"]
    known = {f"MAKEREADY_{name.upper()}" for name in Settings.model_fields}
    assert {k for k in env if k.startswith("MAKEREADY_")} <= known
    assert env["MAKEREADY_JOBS"] == "celery"
    assert services["worker"]["environment"] == env
    for name in ("worker", "redis", "postgres", "minio"):
        assert "healthcheck" in services[name], name
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()  # the api's, from the image
    for name, condition in services["api"]["depends_on"].items():
        assert condition == {"condition": "service_healthy"}, name


def test_the_compose_commands_exist() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for name in ("api", "worker"):
        argv = compose["services"][name]["command"]
        assert argv[0] == "makeready"
        shown = subprocess.run(
            [sys.executable, "-m", "makeready", *argv[1:2], "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert shown.returncode == 0, shown.stderr
        for option in (a for a in argv[2:] if a.startswith("--")):
            assert option in shown.stdout, option


def test_every_setting_is_documented() -> None:
    documented = (ROOT / "docs" / "service.md").read_text() + (ROOT / "docs" / "scale-out.md").read_text()
    for name in Settings.model_fields:
        key = name.upper()
        assert key in documented or f"MAKEREADY_{key}" in documented, key
