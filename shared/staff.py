"""The signed-in staff member, from App Service authentication (Easy Auth) headers.

Minimal stand-in with the agreed signature; the sign-in issue owns this module and its
fuller parsing (``x-ms-client-principal``). The platform strips these headers from
outside requests and sets them only for a signed-in caller, so they can be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Staff:
    id: str
    name: str


def from_headers(headers: Mapping[str, str]) -> Staff | None:
    """The staff member the request was signed in as, or ``None`` (no Easy Auth in front)."""
    lowered = {key.lower(): value for key, value in headers.items()}
    staff_id = (lowered.get("x-ms-client-principal-id") or "").strip()
    if not staff_id:
        return None
    name = (lowered.get("x-ms-client-principal-name") or "").strip()
    return Staff(id=staff_id[:100], name=(name or staff_id)[:200])
