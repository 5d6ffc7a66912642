"""Who is signed in: the staff member App Service Authentication (Easy Auth) vouches for.

In Azure, Easy Auth validates the staff member's Microsoft Entra token before the request
reaches the function, removes any ``X-MS-CLIENT-PRINCIPAL*`` header the client sent, and
adds its own: ``X-MS-CLIENT-PRINCIPAL`` is base64 of ``{"auth_typ", "claims": [{"typ",
"val"}], "name_typ", "role_typ"}``. Those headers are trustworthy only because the platform
set them, so they are read only when the platform says authentication is on
(``WEBSITE_AUTH_ENABLED=True``, which App Service sets, and the local runner's stand-in too).
Without it a client could claim to be anyone, so the headers are ignored.

``STAFF_SIGN_IN=required`` (the default) makes the staff routes refuse a request without a
staff member (:class:`SignInRequired`, 401): if Easy Auth were ever switched off, the API
closes instead of opening. ``off`` is for tests and local experiments only.

Who did what is recorded with the action (``WhatsAppSyncLog.StaffId`` / ``StaffName``) and
never logged above DEBUG: it is personal data.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import config
from shared.errors import ApiError

OBJECT_ID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
NAME_IDENTIFIER = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"
MAX_PRINCIPAL_BYTES = 16_384  # Easy Auth's principal of an Entra token is ~2-4 KB
MAX_ID, MAX_NAME = 64, 200  # the WhatsAppSyncLog columns


@dataclass(frozen=True)
class Staff:
    """A signed-in staff member: Entra object id, display name, sign-in name, identity provider."""

    id: str
    name: str
    username: str | None = None
    provider: str = "aad"


class SignInRequired(ApiError):
    status = 401
    type = "/problems/sign-in-required"
    title = "Sign-in required"

    def __init__(self) -> None:
        super().__init__("Tu sesión de FastService no es válida o venció. Volvé a iniciar sesión y probá de nuevo.")


def platform_authenticates() -> bool:
    """Whether App Service Authentication (or the local runner's stand-in) is on for this app."""
    return os.environ.get("WEBSITE_AUTH_ENABLED", "").strip().lower() == "true"


def sign_in_required() -> bool:
    return config.get("STAFF_SIGN_IN").lower() != "off"


def _claims(principal: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    claims = principal.get("claims")
    for claim in claims if isinstance(claims, list) else []:
        if isinstance(claim, dict) and isinstance(claim.get("typ"), str) and isinstance(claim.get("val"), str):
            found.setdefault(claim["typ"], claim["val"])
    return found


def _clean(text: str | None, limit: int) -> str | None:
    cleaned = "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:limit]
    return cleaned or None


def from_headers(headers: Mapping[str, str]) -> Staff | None:
    """The staff member of a request, or ``None`` (no trusted, well-formed principal)."""
    if not platform_authenticates():
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    encoded = lowered.get("x-ms-client-principal", "")
    if not encoded or len(encoded) > MAX_PRINCIPAL_BYTES:
        return None
    try:
        principal = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(principal, dict):
        return None
    claims = _claims(principal)
    name_type = principal.get("name_typ") if isinstance(principal.get("name_typ"), str) else None
    staff_id = _clean(claims.get(OBJECT_ID) or claims.get("oid") or lowered.get("x-ms-client-principal-id")
                      or claims.get(NAME_IDENTIFIER) or claims.get("sub"), MAX_ID)
    username = _clean(claims.get("preferred_username") or claims.get("upn")
                      or lowered.get("x-ms-client-principal-name"), MAX_NAME)
    name = _clean(claims.get("name") or (claims.get(name_type) if name_type else None) or username, MAX_NAME)
    if staff_id is None or name is None:
        return None
    provider = principal.get("auth_typ") if isinstance(principal.get("auth_typ"), str) else "aad"
    return Staff(staff_id, name, username, _clean(provider, 20) or "aad")


def signed_in(headers: Mapping[str, str]) -> Staff | None:
    """The staff member of a staff route's request; :class:`SignInRequired` when sign-in is required and none is."""
    staff = from_headers(headers)
    if staff is None and sign_in_required():
        raise SignInRequired()
    return staff
