"""The OpenAPI document is served, and the running API honours it (schemathesis: no 500s, conforming responses)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.conftest import ROOT, Runner, StaffIssuer

pytestmark = pytest.mark.e2e


# (schemathesis leaves out the document's own URL; test_served_document_is_the_one_in_the_repo covers it)
OPERATIONS = ["POST /api/whatsapp/sync", "GET /api/whatsapp/messages/{orderId}",
              "GET /api/whatsapp/messages/{orderId}/{messageId}", "GET /api/whatsapp/orders/{orderId}",
              "POST /api/whatsapp/quarantine/reprocess", "GET /api/health",
              # staff replies (issue 15)
              "POST /api/whatsapp/orders/{orderId}/messages", "GET /api/whatsapp/orders/{orderId}/outbox",
              "GET /api/whatsapp/orders/{orderId}/templates", "GET /api/whatsapp/orders/{orderId}/proposals",
              "POST /api/whatsapp/orders/{orderId}/proposals/{proposalId}/send",
              "POST /api/whatsapp/orders/{orderId}/proposals/{proposalId}/discard",
              "POST /api/whatsapp/templates/sync",
              # order notifications, consent (issue 18)
              "GET /api/whatsapp/orders/{orderId}/notifications",
              "POST /api/whatsapp/orders/{orderId}/notifications/{notificationId}/send",
              "POST /api/whatsapp/orders/{orderId}/notifications/{notificationId}/dismiss",
              "POST /api/whatsapp/orders/{orderId}/consent",
              # the inbox (issue 17)
              "GET /api/whatsapp/inbox", "GET /api/whatsapp/inbox/counts", "GET /api/whatsapp/inbox/messages",
              "GET /api/whatsapp/inbox/notices", "GET /api/whatsapp/inbox/quote-taps",
              "GET /api/whatsapp/inbox/decisions", "POST /api/whatsapp/inbox/assign", "POST /api/whatsapp/inbox/move",
              "POST /api/whatsapp/inbox/decisions/{decisionId}/undo",
              "POST /api/whatsapp/inbox/proposals/{proposalId}/confirm",
              "POST /api/whatsapp/inbox/proposals/{proposalId}/discard",
              "POST /api/whatsapp/imports/preview", "POST /api/whatsapp/imports",
              # media (issue 16)
              "GET /api/whatsapp/media/{mediaId}", "POST /api/whatsapp/media"]
IMPORTS = {"POST /api/whatsapp/imports/preview", "POST /api/whatsapp/imports"}
# Rules between parameters that JSON Schema cannot state: exactly one of sender/customerId, an order that
# must be the customer's, a message that must be theirs. A schema-valid request breaking one is rightly a 400.
CROSS_PARAMETER = {"GET /api/whatsapp/inbox/messages", "GET /api/whatsapp/inbox/decisions",
                   "POST /api/whatsapp/inbox/assign", "POST /api/whatsapp/inbox/move"}


# What FastService's own data says of a well-formed request: the order the generated id hits may belong to a
# customer with no phone WhatsApp can use, or lack a value a template needs. A documented 422 no schema can
# foresee (it depends on which row the id lands on); any other refusal of valid data is still a failure.
# (Not registered with ``@schemathesis.check``: that would run it for every case, cursors and uploads included.)
DATA_SAYS_NO = ("/problems/no-usable-phone", "/problems/template-value-missing")


def valid_data_accepted_unless_the_data_says_no(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    if response.status_code == 422:
        try:
            problem = json.loads(response.content)
        except ValueError:
            problem = None
        if isinstance(problem, dict) and str(problem.get("type", "")).endswith(DATA_SAYS_NO):
            return None
    return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> StaffIssuer:
    return StaffIssuer(tmp_path_factory.mktemp("issuer"))


@pytest.fixture(scope="module")
def keyed_runner(tmp_path_factory: pytest.TempPathFactory, issuer: StaffIssuer, azurite: Any) -> Iterator[Runner]:
    """A runner as Azure serves the app: keys enforced, staff signed in with bearer tokens, media storage (the
    session's Azurite: the runner creates its container and queue)."""
    r = Runner(tmp_path_factory.mktemp("keyed"), {**issuer.env, "MEDIA_STORAGE": azurite.connection_string})
    yield r
    r.stop()


@pytest.fixture(scope="module")
def api_schema(keyed_runner: Runner) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{keyed_runner.base}/api/openapi.json")


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_conforms_to_its_document(api_schema: schemathesis.BaseSchema, keyed_runner: Runner,
                                      issuer: StaffIssuer, label: str) -> None:
    """Generated requests, valid and invalid: never a 500, every response as documented."""
    operations = {op.ok().label: op.ok() for op in api_schema.get_all_operations()}
    assert set(operations) == set(OPERATIONS)
    calls = 0

    @given(case=operations[label].as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        # An opaque cursor's validity cannot be written in JSON Schema: a random string the
        # schema allows is rightly a 400, so only for cases carrying one, that check is off.
        opaque = case.query and ("before" in case.query or "cursor" in case.query)
        # no schema can say which bytes are a WhatsApp export either: a random body is rightly a 422.
        # Media (issue 16): random bytes the schema allows as image/jpeg are rightly refused (415: the bytes are
        # not a JPEG), and an item that exists may be still downloading (409) or gone (410): documented answers.
        # A media send names an upload by blobRef: whether one exists is storage's to say, not the schema's
        # (a random ref the pattern allows is rightly a 422 /problems/media-not-sendable).
        uploaded = isinstance(case.body, dict) and "media" in case.body
        unknowable = opaque or uploaded or label in CROSS_PARAMETER | IMPORTS or "/media" in label
        # a signed-in staff member (staff routes) who also holds the master key (the operators' route)
        headers = keyed_runner.master() | issuer.bearer()
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance],
                               additional_checks=[] if unknowable else [valid_data_accepted_unless_the_data_says_no])

    check()
    assert calls >= (1 if label in {"GET /api/health", "POST /api/whatsapp/templates/sync",
                                    "GET /api/whatsapp/inbox/counts"} else 10)  # no input


def test_staff_routes_take_a_token_and_the_operators_route_the_master_key(keyed_runner: Runner,
                                                                          issuer: StaffIssuer) -> None:
    url = f"{keyed_runner.base}/api/whatsapp/orders/1"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=keyed_runner.master()).status_code == 401  # a key is no staff member
    assert httpx.get(url, headers=issuer.bearer()).status_code == 200
    reprocess = f"{keyed_runner.base}/api/whatsapp/quarantine/reprocess"
    function_key = keyed_runner.env["FUNCTIONS_KEY"]
    assert httpx.post(reprocess, headers={"x-functions-key": function_key}).status_code == 401  # ADMIN level
    assert httpx.post(reprocess, params={"code": keyed_runner.env["FUNCTIONS_MASTER_KEY"]}).status_code == 200
    assert httpx.get(f"{keyed_runner.base}/api/health").status_code == 200  # anonymous


def test_served_document_is_the_one_in_the_repo(runner: Runner) -> None:
    served = httpx.get(f"{runner.base}/api/openapi.json").json()
    assert served == json.loads((ROOT / "shared" / "openapi.json").read_text(encoding="utf-8"))
    assert served["openapi"] == "3.1.0"
    assert set(served["paths"]) == {"/api/whatsapp/sync", "/api/whatsapp/messages/{orderId}",
                                    "/api/whatsapp/messages/{orderId}/{messageId}", "/api/whatsapp/orders/{orderId}",
                                    "/api/whatsapp/quarantine/reprocess",
                                    "/api/health", "/api/openapi.json",
                                    *(f"/api/whatsapp/orders/{{orderId}}/{tail}" for tail in (
                                        "messages", "outbox", "templates", "proposals",
                                        "proposals/{proposalId}/send", "proposals/{proposalId}/discard",
                                        "notifications", "notifications/{notificationId}/send",
                                        "notifications/{notificationId}/dismiss", "consent")),
                                    "/api/whatsapp/templates/sync", "/api/whatsapp/imports/preview",
                                    "/api/whatsapp/imports", "/api/whatsapp/media/{mediaId}",
                                    "/api/whatsapp/media"} | {
        p for p in served["paths"] if p.startswith("/api/whatsapp/inbox")}
    assert len([p for p in served["paths"] if p.startswith("/api/whatsapp/inbox")]) == 11


def test_every_http_function_is_documented() -> None:
    import function_app
    from tests.conftest import indexed_functions

    documented = set(json.loads((ROOT / "shared" / "openapi.json").read_text(encoding="utf-8"))["paths"])
    for fn in indexed_functions().values():
        binding = json.loads(fn.get_function_json())["bindings"][0]
        if binding["type"] == "httpTrigger":
            route = "/api/" + binding["route"]
            assert route in documented, route
            for method in binding["methods"]:
                if method == "OPTIONS":  # the CORS preflight of a staff route, not an operation (README)
                    continue
                assert method.lower() in json.loads((ROOT / "shared" / "openapi.json").read_text())["paths"][route]
    assert function_app.OPENAPI.exists()
