"""Staff sign-in: Easy Auth's principal as the app reads it, and the local runner standing in for Easy Auth."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import httpx
import jwt
import pytest
import sqlalchemy as sa

from localrunner import easyauth
from shared import db, schema, staff
from tests.conftest import ROOT, Runner, StaffIssuer, function

ANA_OID = "11111111-2222-3333-4444-555555555555"


def principal(**claims: str) -> str:
    """An X-MS-CLIENT-PRINCIPAL as Easy Auth writes it for an Entra token."""
    listed = [{"typ": easyauth.OBJECT_ID if k == "oid" else k, "val": v} for k, v in claims.items()]
    body = {"auth_typ": "aad", "claims": listed, "name_typ": easyauth.NAME_TYPE, "role_typ": easyauth.ROLE_TYPE}
    return base64.b64encode(json.dumps(body).encode()).decode()


ANA = {"x-ms-client-principal": principal(oid=ANA_OID, name="Ana Gómez", preferred_username="ana@fs.example")}


# --- shared/staff.py: what Easy Auth guarantees, and only then -------------------------------

def test_the_principal_is_read_only_when_the_platform_authenticates(monkeypatch: pytest.MonkeyPatch) -> None:
    assert staff.from_headers(ANA) is None  # WEBSITE_AUTH_ENABLED unset: anyone could have sent it
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    assert staff.from_headers(ANA) == staff.Staff(ANA_OID, "Ana Gómez", "ana@fs.example", "aad")
    assert staff.from_headers({"X-MS-CLIENT-PRINCIPAL": ANA["x-ms-client-principal"]}) is not None  # any case


@pytest.mark.parametrize("value", ["", "not base64!", base64.b64encode(b"[1, 2]").decode(),
                                   base64.b64encode(b"{\"claims\": []}").decode(),
                                   base64.b64encode(b"[" * 5000 + b"]" * 5000).decode(),
                                   "A" * 20_000])
def test_a_malformed_principal_is_nobody(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    assert staff.from_headers({"x-ms-client-principal": value}) is None


def test_names_are_bounded_and_printable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    found = staff.from_headers({"x-ms-client-principal": principal(oid="x" * 500, name="Ana\x00\n" + "é" * 900)})
    assert found is not None and len(found.id) == 64 and found.name.startswith("Ana") and len(found.name) == 200
    assert "\x00" not in found.name and "\n" not in found.name


def sync_request(headers: dict[str, str]) -> func.HttpResponse:
    req = func.HttpRequest(method="POST", url="http://localhost/api/whatsapp/sync", params={"orderId": "1"},
                           route_params={}, headers=headers, body=b"")
    response: func.HttpResponse = function("sync_whatsapp")(req)
    return response


def sync_staff(url: str) -> list[tuple[Any, Any]]:
    log = schema.sync_log
    return [tuple(r) for r in db.read(lambda c: c.execute(sa.select(log.c.StaffId, log.c.StaffName)
                                                           .order_by(log.c.Id)).all(), url)]


def test_staff_routes_answer_a_spanish_401_problem_without_a_staff_member(demo_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_SIGN_IN", "required")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    for name, route in (("list_whatsapp_messages", {"orderId": "1"}), ("order_whatsapp", {"orderId": "1"})):
        req = func.HttpRequest(method="GET", url="http://localhost/api/x", params={}, route_params=route, body=b"")
        response = function(name)(req)
        assert response.status_code == 401 and response.mimetype == "application/problem+json"
        body = json.loads(response.get_body())
        assert body["type"] == "/problems/sign-in-required" and "iniciar sesión" in body["detail"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert sync_request({}).status_code == 401
    assert sync_staff(demo_url) == []  # nothing was done
    # Easy Auth off (the app setting says sign-in is required): a principal header is not believed
    monkeypatch.delenv("WEBSITE_AUTH_ENABLED")
    assert sync_request(ANA).status_code == 401


def test_the_sync_records_who_ran_it_and_never_logs_it_at_info(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("STAFF_SIGN_IN", "required")
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")
    with caplog.at_level(logging.INFO):
        assert sync_request(ANA).status_code == 200
    assert sync_staff(demo_url) == [(ANA_OID, "Ana Gómez")]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert ANA_OID not in logged and "Ana" not in logged and "ana@fs.example" not in logged


# --- the local runner as Easy Auth ----------------------------------------------------------

@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> StaffIssuer:
    return StaffIssuer(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, issuer: StaffIssuer) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("signed"), issuer.env | {"CORS_ALLOWED_ORIGINS": "https://fastservice.example"})
    yield r
    r.stop()


def _order(runner: Runner, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{runner.base}/api/whatsapp/orders/1", headers=headers)


def _other_key_token(issuer: StaffIssuer) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    now = int(__import__("time").time())
    claims = {"iss": issuer.ISSUER, "aud": issuer.AUDIENCE, "sub": "x", "exp": now + 600}
    return jwt.encode(claims, rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["name"] = "Mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def _unsigned(issuer: StaffIssuer) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    now = int(__import__("time").time())
    return part({"alg": "none", "typ": "JWT"}) + "." + part(
        {"iss": issuer.ISSUER, "aud": issuer.AUDIENCE, "sub": "x", "exp": now + 600}) + "."


def _hmac_with_public_key(issuer: StaffIssuer) -> str:
    """The algorithm-confusion attack: HS256 keyed with the issuer's *public* key, which anyone has."""
    import hashlib
    import hmac

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    now = int(__import__("time").time())
    signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
        {"iss": issuer.ISSUER, "aud": issuer.AUDIENCE, "sub": "x", "exp": now + 600})
    mac = hmac.new(issuer.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


@pytest.mark.parametrize("case", ["no token", "not bearer", "expired", "wrong audience", "wrong issuer", "tampered",
                                  "alg none", "hs256 with the public key", "another key", "no exp", "garbage"])
def test_a_request_without_a_valid_token_is_401(signed: Runner, issuer: StaffIssuer, case: str) -> None:
    now = int(__import__("time").time())
    token = {
        "no token": None,
        "not bearer": None,
        "expired": lambda: issuer.token(exp=now - 3600, iat=now - 7200, nbf=now - 7200),
        "wrong audience": lambda: issuer.token(aud="api://someone-else"),
        "wrong issuer": lambda: issuer.token(iss="https://login.microsoftonline.com/evil/v2.0"),
        "tampered": lambda: _tampered(issuer.token()),
        "alg none": lambda: _unsigned(issuer),
        "hs256 with the public key": lambda: _hmac_with_public_key(issuer),
        "another key": lambda: _other_key_token(issuer),
        "no exp": lambda: issuer.token(exp=None),
        "garbage": lambda: "a.b.c",
    }[case]
    headers = {"Authorization": f"Bearer {token()}"} if token else {}
    if case == "not bearer":
        headers = {"Authorization": f"Basic {base64.b64encode(b'ana:x').decode()}"}
    response = _order(signed, headers)
    assert response.status_code == 401 and response.content == b""
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_token_signs_the_staff_member_in_and_the_sync_records_them(signed: Runner,
                                                                          issuer: StaffIssuer) -> None:
    assert _order(signed, issuer.bearer()).status_code == 200
    forged = {"X-MS-CLIENT-PRINCIPAL": principal(oid="mallory", name="Mallory"),
              "X-MS-CLIENT-PRINCIPAL-NAME": "Mallory", "X-MS-CLIENT-PRINCIPAL-ID": "mallory"}
    assert _order(signed, forged).status_code == 401  # a client's own principal header signs nobody in
    response = httpx.post(f"{signed.base}/api/whatsapp/sync", params={"orderId": "1"},
                          headers=issuer.bearer() | forged)
    assert response.status_code == 200
    assert sync_staff(signed.db_url)[-1] == (ANA_OID, "Ana Gómez")  # the token's, not the forged header's
    db.dispose_all()


def test_excluded_paths_keep_their_keys_instead(signed: Runner) -> None:
    assert httpx.get(f"{signed.base}/api/health").status_code == 200
    assert httpx.post(f"{signed.base}/api/whatsapp/quarantine/reprocess", headers=signed.master()).status_code == 200
    delivery = {"aeg-event-type": "Notification", "Content-Type": "application/json"}
    assert httpx.post(signed.eventgrid_url, content="[]", headers=delivery).status_code == 202


def test_cors_grants_only_the_configured_front_end(signed: Runner) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    url = f"{signed.base}/api/whatsapp/orders/1"
    ok = httpx.options(url, headers=preflight | {"Origin": "https://fastservice.example"})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://fastservice.example"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    foreign = httpx.options(url, headers=preflight | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    simple = _order(signed, {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_without_sign_in_client_principal_headers_are_stripped_and_ignored(runner: Runner) -> None:
    forged = {"X-MS-CLIENT-PRINCIPAL": principal(oid="mallory", name="Mallory")}
    assert httpx.post(f"{runner.base}/api/whatsapp/sync", params={"orderId": "1"}, headers=forged).status_code == 200
    assert sync_staff(runner.db_url)[-1] == (None, None)
    db.dispose_all()


# --- the demo issuer (make run) -------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("demo"), {"STAFF_SIGN_IN": "required", "AUTH_ISSUER": ""})
    yield r
    r.stop()


def test_the_demo_page_gets_a_demo_staff_token_from_the_dev_only_route(demo: Runner) -> None:
    answer = httpx.get(f"{demo.base}{easyauth.TOKEN_ROUTE}", params={"user": "bruno"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["staff"]["name"] == "Bruno Díaz" and body["tokenType"] == "Bearer"
    assert body["access_token"] == body["accessToken"] and 3500 < body["expires_in"] <= 3600
    headers = {"Authorization": f"Bearer {body['accessToken']}"}
    assert httpx.post(f"{demo.base}/api/whatsapp/sync", params={"orderId": "1"}, headers=headers).status_code == 200
    assert sync_staff(demo.db_url)[-1][1] == "Bruno Díaz"
    db.dispose_all()
    assert httpx.get(f"{demo.base}{easyauth.TOKEN_ROUTE}", params={"user": "mallory"}).status_code == 404
    # DNS rebinding: a page on another name that resolves here gets nothing
    assert httpx.get(f"{demo.base}{easyauth.TOKEN_ROUTE}", headers={"Host": "evil.example"}).status_code == 421
    assert httpx.get(f"{demo.base}{easyauth.TOKEN_ROUTE}",
                     headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_token_command_prints_a_token_the_runner_accepts(demo: Runner) -> None:
    env = {**os.environ, **demo.env}
    done = subprocess.run([sys.executable, "-m", "localrunner", "token", "Ana"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    token = done.stdout.strip()
    assert _order(demo, {"Authorization": f"Bearer {token}"}).status_code == 200
    unknown = subprocess.run([sys.executable, "-m", "localrunner", "token", "mallory"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=False)
    assert unknown.returncode == 2 and "ana, bruno" in unknown.stderr


def test_the_token_route_exists_only_with_the_demo_issuer(signed: Runner) -> None:
    assert httpx.get(f"{signed.base}{easyauth.TOKEN_ROUTE}").status_code == 404


def test_the_runner_excludes_what_the_bicep_excludes() -> None:
    bicep = (ROOT / "infra" / "modules" / "functionapp.bicep").read_text(encoding="utf-8")
    for path in easyauth.EXCLUDED_PATHS:
        assert f"'{path}'" in bicep, path
