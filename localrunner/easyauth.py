"""The local stand-in for App Service Authentication (Easy Auth) in front of the function app.

In Azure, Easy Auth (``infra/modules/functionapp.bicep``, ``authsettingsV2``) validates the
staff member's Microsoft Entra access token before the request reaches the Functions host,
answers 401 to a request without a valid one (``Return401``), and hands the app the
signed-in user in the ``X-MS-CLIENT-PRINCIPAL*`` headers, after removing any such header
the client sent. This module does the same locally, with PyJWT doing the cryptography:

* a bearer token is accepted only if signed with RS256 by a key of the configured issuer
  (a JWKS or PEM file), with that issuer (``iss``), the audience (``aud``) and a future
  expiry (``exp``); ``alg: none``, HMAC algorithms and anything else are refused (PyJWT is
  told to accept RS256 only, so a token MAC'd with the public key is not "valid");
* the principal headers are built from the token's claims the way Easy Auth builds them
  (``auth_typ``, ``claims`` as ``{typ, val}``, ``name_typ``, ``role_typ``);
* ``EXCLUDED_PATHS`` (the same list as the Bicep's ``excludedPaths``) are not signed-in
  routes: the Event Grid webhook, MCP and the admin API keep their keys instead.

``STAFF_SIGN_IN`` decides: ``required`` turns this on (and sets ``WEBSITE_AUTH_ENABLED``
as App Service does, so ``shared.staff`` trusts the headers); ``off`` only strips client-sent
principal headers. With no ``AUTH_ISSUER`` configured, the runner is its own *demo issuer*:
an RSA key generated into ``.data/`` signs tokens for the demo staff (``DEMO_STAFF``), served
by the dev-only route ``GET /.localrunner/staff-token?user=ana`` (added only then: it cannot
exist in Azure, where the function app has no such route and tokens come from Entra) and by
``python -m localrunner token [user]``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from localrunner.keys import _secret_file, data_dir

DEMO_ISSUER = "https://demo-issuer.localrunner.invalid/"  # .invalid: no such host can exist
DEFAULT_AUDIENCE = "api://fastservice-whatsapp"
TOKEN_ROUTE = "/.localrunner/staff-token"  # noqa: S105 - a path, not a secret
# Paths Easy Auth lets through without sign-in (lower case; infra/modules/functionapp.bicep has the same).
EXCLUDED_PATHS = (
    "/api/health",
    "/api/openapi.json",
    "/api/whatsapp/quarantine/reprocess",  # ADMIN level: operators with the master key
    "/runtime/webhooks/eventgrid",
    "/runtime/webhooks/mcp",
    "/admin/functions/refresh_phone_index",
    "/admin/functions/summarize_conversations",
    "/admin/functions/ingest_whatsapp_event",
)
OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
NAME_IDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
NAME_TYPE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
ROLE_TYPE = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
_LONG_NAMES = {"oid": OBJECT_ID, "sub": NAME_IDENTIFIER, "roles": ROLE_TYPE}


@dataclass(frozen=True)
class DemoStaff:
    user: str
    name: str
    email: str
    object_id: str


DEMO_STAFF = (
    DemoStaff("ana", "Ana Gómez", "ana.gomez@fastservice.example", "7c1d6a52-0b5e-4b6e-9d51-5f7f3a0a0001"),
    DemoStaff("bruno", "Bruno Díaz", "bruno.diaz@fastservice.example", "7c1d6a52-0b5e-4b6e-9d51-5f7f3a0a0002"),
)


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not from the configured issuer."""


def sign_in_required() -> bool:
    return os.environ.get("STAFF_SIGN_IN", "required").strip().lower() != "off"


# --- the issuer's keys ------------------------------------------------------------------

def demo_key_path() -> Path:
    return data_dir() / "demo-issuer-key.pem"


def demo_private_key(create: bool = True) -> rsa.RSAPrivateKey:
    """The demo issuer's RSA key, generated into ``.data/`` once."""
    path = demo_key_path()
    if not path.exists() and create:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        with contextlib.suppress(FileExistsError):  # another process wrote it first
            _secret_file(path, pem.decode())
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise RuntimeError(f"{path} is not an RSA private key")
    return loaded


def demo_kid() -> str:
    numbers = demo_private_key().public_key().public_numbers()
    return f"demo-{numbers.n % 10**12:012d}"


@dataclass(frozen=True)
class Issuer:
    """Who may sign staff tokens: issuer, audience and public keys (by ``kid``; ``None`` for a lone key)."""

    issuer: str
    audience: str
    keys: Mapping[str | None, Any]
    demo: bool = False

    def key_for(self, kid: str | None) -> Any:
        if kid in self.keys:
            return self.keys[kid]
        if len(self.keys) == 1 and None in self.keys:
            return self.keys[None]
        raise InvalidToken("unknown signing key")


def _public_keys(path: Path) -> dict[str | None, Any]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        jwks = jwt.PyJWKSet.from_json(text)
        return {k.key_id: k.key for k in jwks.keys if k.algorithm_name in ("RS256", None) and k.key_type == "RSA"}
    return {None: serialization.load_pem_public_key(text.encode())}


def configured_issuer(create: bool = True) -> Issuer:
    """``AUTH_ISSUER`` + ``AUTH_JWKS`` (+ ``AUTH_AUDIENCE``), or the demo issuer when no issuer is set."""
    audience = os.environ.get("AUTH_AUDIENCE", "").strip() or DEFAULT_AUDIENCE
    issuer = os.environ.get("AUTH_ISSUER", "").strip()
    if not issuer:
        public = demo_private_key(create).public_key()
        return Issuer(DEMO_ISSUER, audience, {demo_kid(): public}, demo=True)
    jwks = os.environ.get("AUTH_JWKS", "").strip()
    if not jwks:
        raise RuntimeError("AUTH_ISSUER is set: AUTH_JWKS must name the issuer's JWKS or PEM public key file")
    return Issuer(issuer, audience, _public_keys(Path(jwks)))


# --- tokens ----------------------------------------------------------------------------

def validate(token: str, issuer: Issuer) -> dict[str, Any]:
    """The claims of a valid token, else :class:`InvalidToken` (no reason that helps a forger)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256":
            raise InvalidToken("algorithm")
        claims: dict[str, Any] = jwt.decode(
            token, issuer.key_for(header.get("kid")), algorithms=["RS256"], audience=issuer.audience,
            issuer=issuer.issuer, leeway=30, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.PyJWTError as exc:
        raise InvalidToken(type(exc).__name__) from exc
    return claims


def issue_demo_token(user: str, lifetime_seconds: int = 3600) -> tuple[str, DemoStaff, int]:
    """A token of the demo issuer for one of ``DEMO_STAFF`` (``user`` or first name, any case)."""
    wanted = user.strip().lower()
    staff = next((s for s in DEMO_STAFF if wanted in (s.user, s.name.split()[0].lower())), None)
    if staff is None:
        raise KeyError(user)
    now = int(time.time())
    expires = now + lifetime_seconds
    audience = os.environ.get("AUTH_AUDIENCE", "").strip() or DEFAULT_AUDIENCE
    claims = {"iss": DEMO_ISSUER, "aud": audience, "sub": staff.object_id, "oid": staff.object_id,
              "name": staff.name, "preferred_username": staff.email, "iat": now, "nbf": now, "exp": expires,
              "jti": str(uuid.uuid4()), "ver": "2.0"}
    token = jwt.encode(claims, demo_private_key(), algorithm="RS256", headers={"kid": demo_kid()})
    return token, staff, expires


def principal_headers(claims: Mapping[str, Any]) -> dict[str, str]:
    """The ``X-MS-CLIENT-PRINCIPAL*`` headers Easy Auth sets for these token claims."""
    listed: list[dict[str, str]] = []
    for name, value in claims.items():
        typ = _LONG_NAMES.get(name, name)
        for item in value if isinstance(value, list) else [value]:
            listed.append({"typ": typ, "val": item if isinstance(item, str) else json.dumps(item)})
    principal = {"auth_typ": "aad", "claims": listed, "name_typ": NAME_TYPE, "role_typ": ROLE_TYPE}
    encoded = base64.b64encode(json.dumps(principal, ensure_ascii=False).encode()).decode()
    return {"x-ms-client-principal": encoded,
            "x-ms-client-principal-id": str(claims.get("oid") or claims.get("sub") or ""),
            "x-ms-client-principal-name": str(claims.get("preferred_username") or claims.get("name") or ""),
            "x-ms-client-principal-idp": "aad"}


# --- the middleware --------------------------------------------------------------------

def _stripped(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The request headers without any a client may not send (Easy Auth removes them too)."""
    return [(k, v) for k, v in scope["headers"]
            if not k.lower().startswith((b"x-ms-client-principal", b"x-ms-token-"))]


def is_excluded(path: str) -> bool:
    lowered = path.lower()
    return lowered in EXCLUDED_PATHS or not lowered.startswith("/api/")


class EasyAuth:
    """ASGI middleware standing in for Easy Auth (see the module docstring)."""

    def __init__(self, app: ASGIApp, issuer: Issuer | None) -> None:
        self.app = app
        self.issuer = issuer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": _stripped(scope)}
        if self.issuer is None or is_excluded(scope["path"]):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token.strip():
                raise InvalidToken("no bearer token")
            claims = validate(token.strip(), self.issuer)
        except InvalidToken:
            # Easy Auth's Return401: no body; the challenge names the scheme
            await Response(status_code=401, headers={"WWW-Authenticate": 'Bearer realm="fastservice-whatsapp"'})(
                scope, receive, send)
            return
        added = [(k.encode(), v.encode()) for k, v in principal_headers(claims).items()]
        await self.app({**scope, "headers": [*scope["headers"], *added]}, receive, send)


async def demo_token_endpoint(request: Request) -> Response:
    """``GET /.localrunner/staff-token?user=ana``: a demo staff token (only with the demo issuer)."""
    user = request.query_params.get("user", DEMO_STAFF[0].user)
    try:
        token, staff, expires = issue_demo_token(user)
    except KeyError:
        return JSONResponse({"detail": "Usuario de demostración desconocido.",
                             "users": [s.user for s in DEMO_STAFF]}, status_code=404)
    lifetime = max(0, expires - int(time.time()))
    return JSONResponse({"accessToken": token, "tokenType": "Bearer", "expiresOn": expires,
                         # the same in OAuth 2.0's token-response names (RFC 6749 §5.1)
                         "access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                         "staff": {"id": staff.object_id, "name": staff.name, "user": staff.user}},
                        headers={"Cache-Control": "no-store"})
