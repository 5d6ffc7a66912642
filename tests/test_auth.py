"""Staff sign-in validated by the app itself (shared/staff.py), CORS answered by the app (shared/cors.py),
and the local runner as the demo issuer with nothing in front of the app (as on Flex Consumption)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import azure.functions as func
import httpx
import pytest
import sqlalchemy as sa

from localrunner import demo_issuer
from shared import db, schema, staff
from tests.conftest import ROOT, Runner, StaffIssuer, free_port, function

ANA_OID = "11111111-2222-3333-4444-555555555555"
FRONT_END = "https://fastservice.example"


def principal(**claims: str) -> str:
    """An X-MS-CLIENT-PRINCIPAL as Easy Auth writes it: what a client can forge where nothing strips it."""
    listed = [{"typ": k, "val": v} for k, v in claims.items()]
    return base64.b64encode(json.dumps({"auth_typ": "aad", "claims": listed}).encode()).decode()


FORGED = {"X-MS-CLIENT-PRINCIPAL": principal(oid="mallory", name="Mallory"),
          "X-MS-CLIENT-PRINCIPAL-ID": "mallory", "X-MS-CLIENT-PRINCIPAL-NAME": "Mallory"}


def call(name: str, headers: dict[str, str], method: str = "GET") -> func.HttpResponse:
    """A staff function as the worker calls it, for order 1."""
    sync = name == "sync_whatsapp"
    req = func.HttpRequest(method="POST" if sync and method == "GET" else method,
                           url=f"http://localhost/api/whatsapp/{'sync' if sync else 'orders/1'}",
                           params={"orderId": "1"} if sync else {}, route_params={} if sync else {"orderId": "1"},
                           headers=headers, body=b"")
    response: func.HttpResponse = function(name)(req)
    return response


def sync_staff(url: str) -> list[tuple[Any, Any]]:
    log = schema.sync_log
    return [tuple(r) for r in db.read(lambda c: c.execute(sa.select(log.c.StaffId, log.c.StaffName)
                                                           .order_by(log.c.Id)).all(), url)]


def _part(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["oid"] = "mallory"
    return f"{header}.{_part(claims)}.{signature}"


def _claims(issuer: StaffIssuer) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": issuer.ISSUER, "aud": issuer.AUDIENCE, "tid": issuer.TENANT, "oid": "mallory", "name": "Mallory",
            "scp": "access_as_user", "exp": now + 600}


def _unsigned(issuer: StaffIssuer) -> str:
    return _part({"alg": "none", "typ": "JWT", "kid": issuer.KID}) + "." + _part(_claims(issuer)) + "."


def _hmac_with_public_key(issuer: StaffIssuer) -> str:
    """The algorithm-confusion attack: HS256 keyed with the issuer's *public* key, which anyone has."""
    signing_input = _part({"alg": "HS256", "typ": "JWT", "kid": issuer.KID}) + "." + _part(_claims(issuer))
    mac = hmac.new(issuer.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _other_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


# --- shared/staff.py: the token, and nothing else --------------------------------------------------

INVALID = {
    "no token": lambda i, now: None,
    "not bearer": lambda i, now: "Basic " + base64.b64encode(b"ana:x").decode(),
    "empty bearer": lambda i, now: "Bearer ",
    "garbage": lambda i, now: "Bearer a.b.c",
    "expired": lambda i, now: "Bearer " + i.token(exp=now - 3600, iat=now - 7200, nbf=now - 7200),
    "not yet valid": lambda i, now: "Bearer " + i.token(nbf=now + 3600, iat=now),
    "wrong audience": lambda i, now: "Bearer " + i.token(aud="api://someone-else"),
    "wrong issuer": lambda i, now: "Bearer " + i.token(iss="https://login.microsoftonline.com/evil/v2.0"),
    "v1 issuer": lambda i, now: "Bearer " + i.token(iss=f"https://sts.windows.net/{i.TENANT}/"),
    "wrong tenant": lambda i, now: "Bearer " + i.token(tid="99999999-0000-0000-0000-000000000000"),
    "tampered": lambda i, now: "Bearer " + _tampered(i.token()),
    "alg none": lambda i, now: "Bearer " + _unsigned(i),
    "hs256 with the public key": lambda i, now: "Bearer " + _hmac_with_public_key(i),
    "another key, same kid": lambda i, now: "Bearer " + i.token(key=_other_key()),
    "no kid": lambda i, now: "Bearer " + i.token(kid=None),
    "no exp": lambda i, now: "Bearer " + i.token(exp=None),
    "no oid": lambda i, now: "Bearer " + i.token(oid=None),
    "no tid": lambda i, now: "Bearer " + i.token(tid=None),
    "app-only (no scp)": lambda i, now: "Bearer " + i.token(scp=None, roles=["Staff.All"]),
    "oversized": lambda i, now: "Bearer " + i.token(name="x" * 20_000),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_request_without_a_token_the_app_accepts_is_a_spanish_401(demo_url: str, staff_issuer: StaffIssuer,
                                                                    case: str) -> None:
    authorization = INVALID[case](staff_issuer, int(time.time()))
    headers = {"Authorization": authorization} if authorization is not None else {}
    for name in ("order_whatsapp", "list_whatsapp_messages", "sync_whatsapp"):
        response = call(name, headers)
        assert response.status_code == 401, (case, name)
        assert response.mimetype == "application/problem+json"
        body = json.loads(response.get_body())
        assert body["type"] == "/problems/sign-in-required" and "iniciar sesión" in body["detail"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert sync_staff(demo_url) == []  # nothing was done


def test_a_valid_token_signs_the_staff_member_in_and_the_sync_records_them(
        demo_url: str, staff_issuer: StaffIssuer, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
        assert call("sync_whatsapp", staff_issuer.bearer() | FORGED).status_code == 200
    assert sync_staff(demo_url) == [(ANA_OID, "Ana Gómez")]  # the token's, not the forged headers'
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG)
    assert ANA_OID not in logged and "Ana" not in logged and "ana@fastservice.example" not in logged


def test_identity_comes_from_the_token_bounded_and_printable() -> None:
    found = staff.staff_of({"oid": "x" * 500, "name": "Ana\x00\n" + "é" * 900, "preferred_username": "a@b"})
    assert len(found.id) == 64 and found.name.startswith("Ana") and len(found.name) == 200
    assert "\x00" not in found.name and "\n" not in found.name and found.username == "a@b"
    assert staff.staff_of({"oid": "o", "preferred_username": "ana@fs"}).name == "ana@fs"  # no name: the sign-in name


def test_clock_skew_of_a_few_seconds_is_tolerated(demo_url: str, staff_issuer: StaffIssuer) -> None:
    now = int(time.time())
    assert call("order_whatsapp", staff_issuer.bearer(exp=now - 20, nbf=now + 20)).status_code == 200
    assert call("order_whatsapp", staff_issuer.bearer(exp=now - staff.LEEWAY_SECONDS - 30)).status_code == 401


def test_client_sent_principal_headers_sign_nobody_in(demo_url: str, staff_issuer: StaffIssuer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSITE_AUTH_ENABLED", "True")  # not even where a platform says authentication is on
    assert call("order_whatsapp", FORGED).status_code == 401
    assert call("sync_whatsapp", FORGED).status_code == 401
    assert sync_staff(demo_url) == []


def test_the_audience_may_be_the_client_id_or_the_app_id_uri(demo_url: str, staff_issuer: StaffIssuer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_AUTH_AUDIENCE", f"c0ffee00-client-id, {staff_issuer.AUDIENCE}")
    assert call("order_whatsapp", staff_issuer.bearer(aud="c0ffee00-client-id")).status_code == 200
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    assert call("order_whatsapp", staff_issuer.bearer(aud="api://c0ffee00-other")).status_code == 401


def test_only_the_allowed_client_applications_when_set(demo_url: str, staff_issuer: StaffIssuer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_AUTH_ALLOWED_CLIENTS", "fastservice-front-end")
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    assert call("order_whatsapp", staff_issuer.bearer(azp="some-other-app")).status_code == 401


def test_sign_in_required_but_not_configured_is_closed(demo_url: str, monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture,
                                                       tmp_path: Path) -> None:
    issuer = StaffIssuer(tmp_path)
    monkeypatch.setenv("STAFF_SIGN_IN", "required")  # no STAFF_AUTH_TENANT_ID / STAFF_AUTH_AUDIENCE
    with caplog.at_level(logging.WARNING):
        assert call("order_whatsapp", issuer.bearer()).status_code == 401
    assert "STAFF_AUTH_TENANT_ID" in caplog.text


def test_sign_in_off_answers_without_a_staff_member(demo_url: str) -> None:
    assert call("sync_whatsapp", FORGED).status_code == 200  # STAFF_SIGN_IN=off (tests' default)
    assert sync_staff(demo_url) == [(None, None)]


# --- the issuer's keys: fetched, cached, refreshed once for a new kid, 503 when unreachable ---------

class JwksServer:
    """The issuer's JWKS endpoint over real HTTP, counting fetches; ``status`` / ``body`` break it."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys, self.fetches, self.status, self.body = keys, 0, 200, b""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.fetches += 1
                body = outer.body or json.dumps({"keys": outer.keys}).encode()
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}/discovery/v2.0/keys"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def jwk(key: Any, kid: str) -> dict[str, Any]:
    import jwt

    public: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return public | {"kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def jwks_server(staff_issuer: StaffIssuer, monkeypatch: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    server = JwksServer([jwk(staff_issuer.key, staff_issuer.KID)])
    monkeypatch.setenv("STAFF_AUTH_JWKS_URI", server.uri)
    monkeypatch.setattr(staff, "KEY_REFRESH_COOLDOWN", 1.0)
    yield server
    server.close()


def test_the_keys_are_fetched_once_and_cached(demo_url: str, staff_issuer: StaffIssuer,
                                              jwks_server: JwksServer) -> None:
    for _ in range(5):
        assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    assert jwks_server.fetches == 1


def test_an_unknown_kid_refreshes_the_keys_once_at_most_per_cooldown(demo_url: str, staff_issuer: StaffIssuer,
                                                                     jwks_server: JwksServer) -> None:
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    assert jwks_server.fetches == 1
    rotated = _other_key()
    jwks_server.keys.append(jwk(rotated, "rotated-2"))  # Entra publishes a new key
    # within the cooldown, a kid the cache lacks is refused without a fetch (random kids cost nothing)
    assert call("order_whatsapp", staff_issuer.bearer(key=rotated, kid="rotated-2")).status_code == 401
    assert jwks_server.fetches == 1
    time.sleep(1.1)
    assert call("order_whatsapp", staff_issuer.bearer(key=rotated, kid="rotated-2")).status_code == 200
    assert jwks_server.fetches == 2  # refreshed once, and the new key signs staff in
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        assert call("order_whatsapp", staff_issuer.bearer(key=rotated, kid=kid)).status_code == 401
    assert jwks_server.fetches == 2
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200  # the old key still works


@pytest.mark.parametrize("fault", ["unreachable", "http 500", "not json", "no keys"])
def test_keys_that_cannot_be_fetched_are_a_spanish_503_not_a_401(demo_url: str, staff_issuer: StaffIssuer,
                                                                 jwks_server: JwksServer, fault: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if fault == "unreachable":
        monkeypatch.setenv("STAFF_AUTH_JWKS_URI", f"http://127.0.0.1:{free_port()}/keys")
    elif fault == "http 500":
        jwks_server.status = 500
    elif fault == "not json":
        jwks_server.body = b"<html>maintenance</html>"
    else:
        jwks_server.keys = []
    response = call("order_whatsapp", staff_issuer.bearer())
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    body = json.loads(response.get_body())
    assert body["type"] == "/problems/sign-in-unavailable" and "Probá de nuevo" in body["detail"]
    assert int(response.headers["Retry-After"]) > 0
    fetched = jwks_server.fetches
    assert call("sync_whatsapp", staff_issuer.bearer()).status_code == 503  # paused: no fetch per request
    assert jwks_server.fetches == fetched
    assert sync_staff(demo_url) == []


def test_while_the_issuer_is_unreachable_the_keys_fetched_before_still_count(
        demo_url: str, staff_issuer: StaffIssuer, jwks_server: JwksServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "KEY_CACHE_SECONDS", 0.5)
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    time.sleep(0.6)  # the cached set is due for a refetch, and the endpoint fails
    jwks_server.status = 500
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 200  # paused: no fetch, the last keys
    assert jwks_server.fetches == 2
    rotated = _other_key()  # a kid nobody has seen cannot be checked now: 503, not 401
    assert call("order_whatsapp", staff_issuer.bearer(key=rotated, kid="rotated-3")).status_code == 503
    monkeypatch.setattr(staff, "STALE_KEYS_SECONDS", 0.0)  # keys too old to trust any more
    assert call("order_whatsapp", staff_issuer.bearer()).status_code == 503


# --- CORS, answered by the app -------------------------------------------------------------------

def test_preflight_for_the_front_end_is_granted_without_a_token(demo_url: str, staff_issuer: StaffIssuer,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", f"{FRONT_END}/, http://localhost:5173")
    asked = {"Origin": FRONT_END, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization, if-none-match"}
    for name in ("order_whatsapp", "list_whatsapp_messages", "sync_whatsapp"):
        response = call(name, asked, method="OPTIONS")
        assert response.status_code == 204 and response.get_body() == b""
        assert response.headers["Access-Control-Allow-Origin"] == FRONT_END
        assert {"Authorization", "Content-Type", "If-None-Match"} <= {
            h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
        assert int(response.headers["Access-Control-Max-Age"]) > 0 and response.headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in response.headers
    assert sync_staff(demo_url) == []  # a preflight runs nothing


@pytest.mark.parametrize("origin", ["https://evil.example", "https://fastservice.example.evil.example",
                                    "http://fastservice.example", "null"])
def test_a_foreign_origin_gets_no_grant(demo_url: str, staff_issuer: StaffIssuer, monkeypatch: pytest.MonkeyPatch,
                                        origin: str) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", FRONT_END)
    preflight = call("order_whatsapp", {"Origin": origin, "Access-Control-Request-Method": "GET"}, method="OPTIONS")
    assert preflight.status_code == 204
    assert not any(h.lower().startswith("access-control-") for h, _ in preflight.headers.items())
    actual = call("order_whatsapp", staff_issuer.bearer() | {"Origin": origin})
    assert actual.status_code == 200  # the app answers; the browser withholds it from the foreign page
    assert not any(h.lower().startswith("access-control-") for h, _ in actual.headers.items())


def test_no_origin_is_granted_by_default(demo_url: str, staff_issuer: StaffIssuer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", "*")  # never a wildcard
    preflight = call("order_whatsapp", {"Origin": FRONT_END, "Access-Control-Request-Method": "GET"},
                     method="OPTIONS")
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_actual_answers_to_the_front_end_carry_the_grant_whatever_their_status(
        demo_url: str, staff_issuer: StaffIssuer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", FRONT_END)
    origin = {"Origin": FRONT_END}
    ok = call("order_whatsapp", staff_issuer.bearer() | origin)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == FRONT_END
    assert {"ETag", "Retry-After"} <= {h.strip() for h in ok.headers["Access-Control-Expose-Headers"].split(",")}
    assert ok.headers["Vary"] == "Origin"
    again = call("order_whatsapp", staff_issuer.bearer() | origin | {"If-None-Match": ok.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Access-Control-Allow-Origin"] == FRONT_END
    refused = call("order_whatsapp", origin)  # the panel must be able to read its 401 to ask for a new token
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == FRONT_END


# --- the local runner: nothing in front of the app, as on Flex Consumption ------------------------

@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> StaffIssuer:
    return StaffIssuer(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, issuer: StaffIssuer) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("signed"), issuer.env | {"CORS_ALLOWED_ORIGINS": FRONT_END})
    yield r
    r.stop()


def test_through_the_runner_the_app_checks_the_token_and_answers_cors(signed: Runner, issuer: StaffIssuer) -> None:
    url = f"{signed.base}/api/whatsapp/orders/1"
    assert httpx.get(url, headers=issuer.bearer()).status_code == 200
    refused = httpx.get(url, headers=FORGED)
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/problem+json")
    asked = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    ok = httpx.options(url, headers=asked | {"Origin": FRONT_END})
    assert ok.status_code == 204 and ok.headers["access-control-allow-origin"] == FRONT_END
    foreign = httpx.options(url, headers=asked | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    simple = httpx.get(url, headers=issuer.bearer() | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
    sync = httpx.post(f"{signed.base}/api/whatsapp/sync", params={"orderId": "1"}, headers=issuer.bearer() | FORGED)
    assert sync.status_code == 200
    assert sync_staff(signed.db_url)[-1] == (ANA_OID, "Ana Gómez")
    db.dispose_all()


def test_webhooks_admin_and_health_keep_their_keys(signed: Runner) -> None:
    assert httpx.get(f"{signed.base}/api/health").status_code == 200
    assert httpx.post(f"{signed.base}/api/whatsapp/quarantine/reprocess", headers=signed.master()).status_code == 200
    delivery = {"aeg-event-type": "Notification", "Content-Type": "application/json"}
    assert httpx.post(signed.eventgrid_url, content="[]", headers=delivery).status_code == 202


def test_the_token_routes_exist_only_with_the_demo_issuer(signed: Runner) -> None:
    assert httpx.get(f"{signed.base}{demo_issuer.TOKEN_ROUTE}").status_code == 404
    assert httpx.get(f"{signed.base}{demo_issuer.JWKS_ROUTE}").status_code == 404


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    r = Runner(tmp_path_factory.mktemp("demo"), {"STAFF_SIGN_IN": "required"})
    yield r
    r.stop()


def test_the_demo_page_gets_a_demo_staff_token_the_app_accepts(demo: Runner) -> None:
    answer = httpx.get(f"{demo.base}{demo_issuer.TOKEN_ROUTE}", params={"user": "bruno"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["staff"]["name"] == "Bruno Díaz" and body["tokenType"] == "Bearer"
    assert body["access_token"] == body["accessToken"] and 3500 < body["expires_in"] <= 3600
    headers = {"Authorization": f"Bearer {body['accessToken']}"}
    assert httpx.get(f"{demo.base}/api/whatsapp/orders/1").status_code == 401  # sign-in is on
    assert httpx.post(f"{demo.base}/api/whatsapp/sync", params={"orderId": "1"}, headers=headers).status_code == 200
    assert sync_staff(demo.db_url)[-1][1] == "Bruno Díaz"
    db.dispose_all()
    assert httpx.get(f"{demo.base}{demo_issuer.TOKEN_ROUTE}", params={"user": "mallory"}).status_code == 404
    # DNS rebinding: a page on another name that resolves here gets nothing
    assert httpx.get(f"{demo.base}{demo_issuer.TOKEN_ROUTE}", headers={"Host": "evil.example"}).status_code == 421
    assert httpx.get(f"{demo.base}{demo_issuer.TOKEN_ROUTE}",
                     headers={"Origin": "https://evil.example"}).status_code == 403


def test_the_demo_issuer_publishes_its_keys_as_a_jwks(demo: Runner) -> None:
    served = httpx.get(f"{demo.base}{demo_issuer.JWKS_ROUTE}").json()
    data = Path(demo.db_url.removeprefix("sqlite:///")).parent
    written = json.loads((data / "demo-issuer-jwks.json").read_text(encoding="utf-8"))
    assert served == written and [k["alg"] for k in served["keys"]] == ["RS256"]
    assert "d" not in served["keys"][0]  # the public half only


def test_the_token_command_prints_a_token_the_app_accepts(demo: Runner) -> None:
    env = {**os.environ, **demo.env}
    done = subprocess.run([sys.executable, "-m", "localrunner", "token", "Ana"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    token = done.stdout.strip()
    assert httpx.get(f"{demo.base}/api/whatsapp/orders/1", headers={"Authorization": f"Bearer {token}"}
                     ).status_code == 200
    unknown = subprocess.run([sys.executable, "-m", "localrunner", "token", "mallory"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=False)
    assert unknown.returncode == 2 and "ana, bruno" in unknown.stderr
    real = subprocess.run([sys.executable, "-m", "localrunner", "token"], cwd=ROOT,
                          env=env | {"STAFF_AUTH_TENANT_ID": StaffIssuer.TENANT}, capture_output=True, text=True,
                          check=False)
    assert real.returncode == 2 and "real issuer" in real.stderr

