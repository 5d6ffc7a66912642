"""Who is signed in (stand-in until issue 14's ``shared/staff.py`` reaches main; same signature).

App Service Authentication (Easy Auth) validates the staff member's token, strips any
``X-MS-CLIENT-PRINCIPAL*`` header the client sent and adds its own; those headers are
trustworthy only because the platform set them, so they are read only when the platform
says authentication is on (``WEBSITE_AUTH_ENABLED=True``). Issue 14's module reads the
full principal too; this one reads only ``X-MS-CLIENT-PRINCIPAL-ID`` / ``-NAME``, which is
all the history import records (who imported).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

MAX_ID, MAX_NAME = 64, 200


@dataclass(frozen=True)
class Staff:
    """A signed-in staff member: Entra object id and display name."""

    id: str
    name: str
    username: str | None = None
    provider: str = "aad"


def _clean(text: str | None, limit: int) -> str | None:
    cleaned = "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:limit]
    return cleaned or None


def from_headers(headers: Mapping[str, str]) -> Staff | None:
    """The staff member of a request, or ``None`` (authentication off, or no principal)."""
    if os.environ.get("WEBSITE_AUTH_ENABLED", "").strip().lower() != "true":
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    staff_id = _clean(lowered.get("x-ms-client-principal-id"), MAX_ID)
    name = _clean(lowered.get("x-ms-client-principal-name"), MAX_NAME)
    if staff_id is None or name is None:
        return None
    return Staff(staff_id, name, name)
