"""The local runner's demo issuer: Entra ID stand-in for ``make run`` and the tests' demo sign-in.

The function app validates staff bearer tokens itself (``shared/staff.py``), against the issuer,
audience, tenant and keys of its ``STAFF_AUTH_*`` settings, exactly as in Azure; the runner adds no
header and answers no CORS (Flex Consumption has neither App Service Authentication nor platform
CORS, and the runner behaves as that plan). What Entra ID is in Azure, this module is locally when
no tenant is configured: an RSA key generated into ``.data/`` once (``make setup``), its public
half written as a JWKS beside it, and tokens for two demo staff members (``DEMO_STAFF``). The
runner then points the app's settings at it (:func:`configure`: the demo tenant, issuer and
audience, and the JWKS as a ``file:`` URL) and serves two dev-only routes, only then and only to
this machine: ``GET /.localrunner/staff-token?user=ana|bruno`` (a token, for the demo page) and
``GET /.localrunner/jwks.json``. ``python -m localrunner token [user]`` prints a token too.
Neither route exists in Azure, where tokens come from Entra ID.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localrunner.keys import _secret_file, data_dir

DEMO_ISSUER = "https://demo-issuer.localrunner.invalid/v2.0"  # .invalid: no such host can exist
DEMO_TENANT_ID = "00000000-0000-0000-0000-00000000de00"
DEFAULT_AUDIENCE = "api://fastservice-whatsapp"
DEMO_CLIENT_ID = "fastservice-whatsapp-demo-page"  # the token's azp: the application that asked for it
TOKEN_ROUTE = "/.localrunner/staff-token"  # noqa: S105 - a path, not a secret
JWKS_ROUTE = "/.localrunner/jwks.json"


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


def sign_in_required() -> bool:
    return os.environ.get("STAFF_SIGN_IN", "required").strip().lower() != "off"


def tenant_configured() -> bool:
    """Whether the settings name a real issuer (then the runner is no issuer at all)."""
    return any(os.environ.get(name, "").strip() for name in ("STAFF_AUTH_TENANT_ID", "STAFF_AUTH_ISSUER"))


# --- the key and its JWKS ----------------------------------------------------------------------

def demo_key_path() -> Path:
    return data_dir() / "demo-issuer-key.pem"


def jwks_path() -> Path:
    return data_dir() / "demo-issuer-jwks.json"


def demo_private_key(create: bool = True) -> rsa.RSAPrivateKey:
    """The demo issuer's RSA key, generated into ``.data/`` once, with its JWKS beside it."""
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
    if create:
        _write_jwks(loaded)
    return loaded


def demo_kid(key: rsa.RSAPrivateKey | None = None) -> str:
    numbers = (key or demo_private_key()).public_key().public_numbers()
    return f"demo-{numbers.n % 10**12:012d}"


def jwks(key: rsa.RSAPrivateKey | None = None) -> dict[str, Any]:
    """The demo issuer's public key as a JSON Web Key Set (what Entra publishes at .../discovery/v2.0/keys)."""
    key = key or demo_private_key()
    public: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"keys": [public | {"kid": demo_kid(key), "use": "sig", "alg": "RS256"}]}


def _write_jwks(key: rsa.RSAPrivateKey) -> None:
    text = json.dumps(jwks(key), indent=2)
    path = jwks_path()
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def configure() -> bool:
    """Point the app's ``STAFF_AUTH_*`` settings at the demo issuer when sign-in is required and no tenant
    is configured; ``True`` when the runner is the demo issuer."""
    if not sign_in_required() or tenant_configured():
        return False
    demo_private_key(create=True)
    os.environ["STAFF_AUTH_TENANT_ID"] = DEMO_TENANT_ID
    os.environ["STAFF_AUTH_ISSUER"] = DEMO_ISSUER
    os.environ["STAFF_AUTH_JWKS_URI"] = jwks_path().resolve().as_uri()
    if not os.environ.get("STAFF_AUTH_AUDIENCE", "").strip():
        os.environ["STAFF_AUTH_AUDIENCE"] = DEFAULT_AUDIENCE
    return True


# --- tokens ------------------------------------------------------------------------------------

def issue_demo_token(user: str, lifetime_seconds: int = 3600) -> tuple[str, DemoStaff, int]:
    """A v2 access token of the demo issuer for one of ``DEMO_STAFF`` (``user`` or first name, any case)."""
    wanted = user.strip().lower()
    staff = next((s for s in DEMO_STAFF if wanted in (s.user, s.name.split()[0].lower())), None)
    if staff is None:
        raise KeyError(user)
    now = int(time.time())
    expires = now + lifetime_seconds
    audience = (os.environ.get("STAFF_AUTH_AUDIENCE", "").split(",")[0].strip() or DEFAULT_AUDIENCE)
    claims = {"iss": DEMO_ISSUER, "aud": audience, "tid": DEMO_TENANT_ID, "sub": staff.object_id,
              "oid": staff.object_id, "name": staff.name, "preferred_username": staff.email, "scp": "access_as_user",
              "azp": DEMO_CLIENT_ID, "iat": now, "nbf": now, "exp": expires, "jti": str(uuid.uuid4()), "ver": "2.0"}
    key = demo_private_key()
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": demo_kid(key)})
    return token, staff, expires


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


async def jwks_endpoint(_request: Request) -> Response:
    """``GET /.localrunner/jwks.json``: the demo issuer's public keys."""
    return JSONResponse(jwks(), headers={"Cache-Control": "max-age=300"})
