"""Sign-in, tokens, CSRF, scopes and owner isolation against a live server."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from makeready.store.db import Database
from makeready.store.models import SigningKey
from tests.service.live import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER,
    OTHER_PASSWORD,
    PASSWORD,
    READER,
    READER_PASSWORD,
    USER,
    Api,
    LiveServer,
)

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def _token_url(server: LiveServer) -> str:
    return f"{server.url}/realms/makeready/protocol/openid-connect/token"


def _grant(server: LiveServer, **form: str) -> requests.Response:
    return requests.post(_token_url(server), data=form, timeout=30)


def _server_key(server: LiveServer) -> tuple[str, str]:
    url = server.env.get("MAKEREADY_DATABASE_URL") or f"sqlite:///{server.data_dir / 'makeready.db'}"
    db = Database(url)
    with db.session() as session:
        row = session.scalars(select(SigningKey)).first()
    db.dispose()
    assert row is not None
    return row.kid, row.private_pem


def _claims(server: LiveServer, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": f"{server.url}/realms/makeready",
        "aud": "makeready",
        "sub": "someone",
        "typ": "Bearer",
        "scope": "read write",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return claims


def _list_parts(server: LiveServer, token: str) -> requests.Response:
    return requests.get(
        f"{server.url}/api/v1/part/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_grants(server: LiveServer) -> None:
    ok = _grant(
        server,
        grant_type="password",
        username=USER,
        password=PASSWORD,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert ok.status_code == 200
    body = ok.json()
    assert {"access_token", "expires_in", "refresh_token", "token_type"} <= set(body)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    # The JWKS verifies the token independently of makeready's own code.
    jwks = requests.get(f"{server.url}/realms/makeready/protocol/openid-connect/certs", timeout=30).json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(body["access_token"])["kid"]]
    claims = jwt.decode(body["access_token"], key.key, algorithms=["RS256"], audience="makeready")
    assert claims["preferred_username"] == USER
    assert claims["azp"] == CLIENT_ID
    assert _list_parts(server, body["access_token"]).status_code == 200

    wrong = _grant(
        server,
        grant_type="password",
        username=USER,
        password="wrong-password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_grant"
    assert wrong.headers["content-type"].startswith("application/problem+json")
    nobody = _grant(server, grant_type="password", username="nobody", password="whatever-pw")
    assert nobody.status_code == 401
    assert nobody.json()["code"] == "auth.invalid_grant"
    bad_secret = _grant(
        server,
        grant_type="password",
        username=USER,
        password=PASSWORD,
        client_id=CLIENT_ID,
        client_secret="not-it",
    )
    assert bad_secret.status_code == 401
    assert bad_secret.json()["error"] == "invalid_client"

    service = _grant(
        server, grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    assert service.status_code == 200
    assert _list_parts(server, service.json()["access_token"]).json() == []  # a client owns its own resources
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    via_basic = requests.post(
        _token_url(server),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=30,
    )
    assert via_basic.status_code == 200
    assert _grant(server, grant_type="client_credentials").status_code == 401

    refreshed = _grant(
        server,
        grant_type="refresh_token",
        refresh_token=body["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert refreshed.status_code == 200
    assert _list_parts(server, refreshed.json()["access_token"]).status_code == 200
    # A refresh token is not an access token, and an access token cannot refresh.
    assert _list_parts(server, body["refresh_token"]).status_code == 401
    assert _grant(server, grant_type="refresh_token", refresh_token=body["access_token"]).status_code == 401
    assert _grant(server, grant_type="authorization_code", code="x").status_code == 400
    assert (
        requests.post(
            f"{server.url}/realms/other/protocol/openid-connect/token",
            data={"grant_type": "password"},
            timeout=30,
        ).status_code
        == 404
    )


def test_refused_tokens(server: LiveServer) -> None:
    kid, pem = _server_key(server)
    good = jwt.encode(_claims(server), pem, algorithm="RS256", headers={"kid": kid})
    assert _list_parts(server, good).status_code == 200  # the forging recipe itself is sound
    expired = jwt.encode(
        _claims(server, exp=int(time.time()) - 60, iat=int(time.time()) - 700),
        pem,
        algorithm="RS256",
        headers={"kid": kid},
    )
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(_claims(server), forged_key, algorithm="RS256", headers={"kid": kid})
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode()).rstrip(
        b"="
    )
    payload = base64.urlsafe_b64encode(json.dumps(_claims(server)).encode()).rstrip(b"=")
    alg_none = f"{header.decode()}.{payload.decode()}."
    wrong_audience = jwt.encode(
        _claims(server, aud="someone-else"), pem, algorithm="RS256", headers={"kid": kid}
    )
    tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
    for token in (expired, forged, alg_none, wrong_audience, tampered, "not-a-jwt"):
        reply = _list_parts(server, token)
        assert reply.status_code == 401, token
        assert reply.json()["code"] == "auth.invalid_token"
        assert "Bearer" in reply.headers["www-authenticate"]
    anonymous = requests.get(f"{server.url}/api/v1/part/", timeout=30)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "auth.required"


def test_session_cookie_needs_csrf(server: LiveServer) -> None:
    browser = requests.Session()
    csrf = browser.get(f"{server.url}/api-auth/login", timeout=30).cookies["csrftoken"]
    refused = browser.post(
        f"{server.url}/api-auth/login", data={"username": USER, "password": PASSWORD}, timeout=30
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.csrf_failed"
    signed_in = browser.post(
        f"{server.url}/api-auth/login",
        data={"username": USER, "password": PASSWORD},
        headers={"X-CSRFToken": csrf},
        timeout=30,
    )
    assert signed_in.status_code == 200
    assert "sessionid" in browser.cookies
    assert browser.get(f"{server.url}/api/v1/part/", timeout=30).status_code == 200  # safe: no CSRF needed
    with CUBE.open("rb") as handle:
        no_csrf = browser.post(
            f"{server.url}/api/v1/part/", data={"start_analysis": "false"}, files={"file": handle}, timeout=60
        )
    assert no_csrf.status_code == 403
    assert no_csrf.json()["code"] == "auth.csrf_failed"
    with CUBE.open("rb") as handle:
        wrong = browser.post(
            f"{server.url}/api/v1/part/",
            data={"start_analysis": "false"},
            files={"file": handle},
            headers={"X-CSRFToken": "forged-value"},
            timeout=60,
        )
    assert wrong.status_code == 403
    with CUBE.open("rb") as handle:
        ok = browser.post(
            f"{server.url}/api/v1/part/",
            data={"start_analysis": "false"},
            files={"file": handle},
            headers={"X-CSRFToken": csrf},
            timeout=60,
        )
    assert ok.status_code == 201, ok.text


def test_scopes(server: LiveServer) -> None:
    reader = Api(server.url, READER, READER_PASSWORD)
    assert reader.get("/api/v1/part/").status_code == 200
    with CUBE.open("rb") as handle:
        refused = reader.post("/api/v1/part/", files={"file": handle})
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.insufficient_scope"


def test_owners_are_isolated(server: LiveServer) -> None:
    alice, bob = Api(server.url), Api(server.url, OTHER, OTHER_PASSWORD)
    with CUBE.open("rb") as handle:
        part_id = alice.post(
            "/api/v1/part/", data={"start_analysis": "false"}, files={"file": handle}
        ).json()["part_id"]
    with CUBE.open("rb") as handle:
        file_id = alice.post("/api/v1/files/upload", files={"file": handle}).json()["file_id"]
    task = alice.post("/api/v1/geom/meshes/import", json={"file_id": file_id, "name": "cube"})
    mesh = alice.done(task)
    for path in (
        f"/api/v1/part/{part_id}/",
        f"/api/v1/analysisResult/{part_id}/",
        f"/api/v1/analysisResult/simplified/{part_id}/",
        f"/api/v1/files/{file_id}",
        f"/api/v1/geom/meshes/{mesh['id']}",
        f"/api/v1/print/tasks/{task.json()['id']}",
    ):
        reply = bob.get(path)
        assert reply.status_code == 404, path
        assert reply.json()["code"] == "request.not_found"
        assert alice.get(path).status_code == 200, path
    assert bob.delete(f"/api/v1/part/{part_id}/").status_code == 404
    assert bob.post(f"/api/v1/part/{part_id}/start_analysis/").status_code == 404
    assert bob.post("/api/v1/geom/meshes/repair", json={"id": mesh["id"]}).status_code == 404
    assert bob.post("/api/v1/geom/meshes/import", json={"file_id": file_id}).status_code == 404
    tray = bob.post("/api/v1/print/trays", json={"printer_type_id": "Prusa MK4", "mesh_ids": [mesh["id"]]})
    assert tray.status_code == 404
    assert part_id not in [p["part_id"] for p in bob.get("/api/v1/part/").json()]
    assert file_id not in [f["file_id"] for f in bob.get("/api/v1/files").json()]
    assert alice.get(f"/api/v1/part/{part_id}/").status_code == 200  # untouched


@pytest.mark.parametrize(
    "path", ["/livez", "/readyz", "/version", "/errors", "/errors/file.truncated", "/docs"]
)
def test_open_operational_endpoints(server: LiveServer, path: str) -> None:
    assert requests.get(server.url + path, timeout=30).status_code == 200


@pytest.fixture(scope="module")
def external_issuer(tmp_path_factory: pytest.TempPathFactory):
    """An OIDC issuer's JWKS served over HTTP, and a makeready server that trusts it."""
    import http.server
    import threading

    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="external-1", use="sig", alg="RS256")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    issuer = "http://keycloak.example/realms/acme"
    live = LiveServer(
        tmp_path_factory.mktemp("external") / "data",
        external_jwks_url=f"http://127.0.0.1:{httpd.server_address[1]}/certs",
        external_issuer=issuer,
        external_audience="makeready",
        external_scopes="read",
    )
    live.start()
    yield live, key, issuer
    live.stop()
    httpd.shutdown()


def test_tokens_of_an_external_issuer(external_issuer) -> None:
    live, key, issuer = external_issuer
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": "makeready",
        "sub": "kc-user-1",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "erin",
        "scope": "openid read write",
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "external-1"})
    assert _list_parts(live, token).json() == []
    with CUBE.open("rb") as handle:  # external tokens get only the configured scopes (read)
        refused = requests.post(
            f"{live.url}/api/v1/part/",
            files={"file": handle},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    assert refused.status_code == 403
    wrong_issuer = jwt.encode(
        {**claims, "iss": "http://elsewhere"}, key, algorithm="RS256", headers={"kid": "external-1"}
    )
    assert _list_parts(live, wrong_issuer).status_code == 401
    unknown_key = jwt.encode(
        claims,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "external-1"},
    )
    assert _list_parts(live, unknown_key).status_code == 401


def test_users_created_on_the_command_line_sign_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``makeready users create`` on a data directory no server has opened yet (it makes the schema),
    then the server lets that user in with exactly the scopes given."""
    from typer.testing import CliRunner

    from makeready.cli import app
    from tests.service.inprocess import InProcessServer

    live = InProcessServer(tmp_path / "data")
    for name, value in live.env.items():
        if name.startswith("MAKEREADY_"):
            monkeypatch.setenv(name, value)
    runner = CliRunner()
    created = runner.invoke(
        app, ["users", "create", "dave", "--password", "dave-password", "--scopes", "read"]
    )
    assert created.exit_code == 0, created.output
    assert "user dave created (scopes: read)" in created.output
    again = runner.invoke(app, ["users", "create", "dave", "--password", "other-password"])
    assert again.exit_code == 2
    assert "exists already" in again.output
    short = runner.invoke(app, ["users", "create", "erin", "--password", "short"])
    assert short.exit_code == 2
    assert "at least 8 characters" in short.output
    live.start()
    try:
        dave = Api(live.url, "dave", "dave-password")
        assert dave.get("/api/v1/part/").status_code == 200
        with CUBE.open("rb") as handle:
            refused = dave.post("/api/v1/part/", files={"file": handle})
        assert refused.status_code == 403
        assert refused.json()["code"] == "auth.insufficient_scope"
        wrong = requests.post(
            f"{live.url}/realms/makeready/protocol/openid-connect/token",
            data={"grant_type": "password", "username": "dave", "password": "other-password",
                  "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            timeout=30,
        )  # fmt: skip
        assert wrong.status_code in (400, 401)
    finally:
        live.stop()
