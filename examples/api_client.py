"""Talk to the REST service as 3D Spark API's and 3D Print API's clients do.

Starts ``makeready serve`` on a free port with a throw-away data directory and a user made at
first start (or uses the server at MAKEREADY_URL with MAKEREADY_USER / MAKEREADY_PASSWORD),
then: token -> csrftoken -> upload -> poll -> simplified result, and a 3D Print API mesh analysis.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def start_server() -> tuple[str, subprocess.Popen[bytes]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "MAKEREADY_DATA_DIR": tempfile.mkdtemp(prefix="makeready-example-"),
        "MAKEREADY_PORT": str(port),
        "MAKEREADY_BOOTSTRAP_USER": "demo",
        "MAKEREADY_BOOTSTRAP_PASSWORD": "demo-password",
        "MAKEREADY_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "makeready", "serve"], env=env, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return url, server
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def main() -> None:
    url, server = os.environ.get("MAKEREADY_URL"), None
    user = os.environ.get("MAKEREADY_USER", "demo")
    password = os.environ.get("MAKEREADY_PASSWORD", "demo-password")
    if url is None:
        url, server = start_server()
    try:
        with httpx.Client(base_url=url, timeout=60) as client:
            # 1. token (Keycloak-shaped OpenID Connect endpoint), 2. csrftoken cookie
            token = client.post(
                "/realms/makeready/protocol/openid-connect/token",
                data={"grant_type": "password", "username": user, "password": password},
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            csrf = client.get("/api-auth/login").cookies["csrftoken"]
            headers["X-CSRFToken"] = csrf
            # 3. upload with material, process and lot size, 4. poll
            with SAMPLE.open("rb") as handle:
                upload = client.post(
                    "/api/v1/part/",
                    headers=headers,
                    files={"file": handle},
                    data={"mat_name": "316L", "prc_acronym": "slm", "lot_size": "10"},
                )
            part_id = upload.json()["part_id"]
            while True:
                result = client.get(f"/api/v1/analysisResult/{part_id}/", headers=headers).json()
                if result["analysis_finished"]:
                    break
                time.sleep(1.0)  # polling faster than MAKEREADY_POLL_MIN_INTERVAL_S gets 429
            report = result["analysis_report"]
            chain = report["process_chains"][report["primary_process_chain_id"]]
            print(
                f"{report['name']}: {report['bb_x']:.1f} x {report['bb_y']:.1f} x {report['bb_z']:.1f} mm, "
                f"{chain['name']}: {chain['cost']['cost_pp']:.2f} EUR per part, "
                f"{len(report['process_chains'])} chains"
            )
            simple = client.get(f"/api/v1/analysisResult/simplified/{part_id}/", headers=headers).json()
            print(f"simplified: fits_mac={simple['fits_mac']} thickness={simple['thickness']}")
            # 3D Print API: upload a file, import it as a mesh, analyse it (tasks).
            file_id = client.post(
                "/api/v1/files/upload", headers=headers, files={"file": SAMPLE.open("rb")}
            ).json()["file_id"]
            task = client.post(
                "/api/v1/geom/meshes/import", headers=headers, json={"file_id": file_id}
            ).json()
            while task["status"] == "running":
                time.sleep(1.0)
                task = client.get(f"/api/v1/print/tasks/{task['id']}", headers=headers).json()
            mesh = task["result"]
            size = [hi - lo for lo, hi in zip(*mesh["geom"]["bounding_box"].values(), strict=True)]
            print(
                f"mesh {mesh['geom']['num_triangles']} triangles, "
                f"{size[0]:.1f} x {size[1]:.1f} x {size[2]:.1f} cm"
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(20)


if __name__ == "__main__":
    main()
