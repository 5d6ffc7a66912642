"""Cross-origin access to the staff routes, answered by the app itself.

FastService's front end runs on its own origin and calls the staff routes from the browser with
a bearer token. On the Flex Consumption plan the platform's CORS settings "are currently not
supported" (Microsoft's Flex Consumption considerations), so the app grants it: the staff routes
take ``OPTIONS`` (anonymous: a browser's preflight carries no token) and this module decides the
headers. Only an origin listed in ``CORS_ALLOWED_ORIGINS`` (exact match; ``*`` and ``null`` are
never granted) gets ``Access-Control-Allow-Origin``; any other gets no grant at all, and its
browser refuses to hand the answer to the page. No credentials (cookies) are involved: the token
travels in ``Authorization``, so ``Access-Control-Allow-Credentials`` is never sent. ``Vary:
Origin`` is on every staff answer, so no cache serves one origin's answer to another.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared import config

ALLOW_HEADERS = "Authorization, Content-Type, If-None-Match"
EXPOSE_HEADERS = "ETag, Retry-After, WWW-Authenticate"
STAFF_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")  # what staff routes may take
MAX_AGE_SECONDS = 600  # Chromium caps a preflight's cache at 2 hours; 10 minutes keeps a config change quick


def allowed_origins() -> frozenset[str]:
    listed = (o.strip().rstrip("/") for o in config.get("CORS_ALLOWED_ORIGINS").split(","))
    return frozenset(o for o in listed if o and o not in ("*", "null"))


def _origin(headers: Mapping[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "origin"), None)


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def granted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers to add to a staff route's answer (any status) for the request's ``Origin``."""
    origin = _origin(headers)
    if origin is None or origin not in allowed_origins():
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSE_HEADERS,
            "Vary": "Origin"}


def preflight(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers of the answer (204) to an ``OPTIONS`` on a staff route.

    A grant only for an allowed origin asking for a method staff routes use (``STAFF_METHODS``;
    the actual request still has to match its route's method); anything else gets no grant.
    """
    origin = _origin(headers)
    wanted = _header(headers, "access-control-request-method").strip().upper()
    if origin is None or origin not in allowed_origins() or wanted not in STAFF_METHODS:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ", ".join(STAFF_METHODS),
            "Access-Control-Allow-Headers": ALLOW_HEADERS, "Access-Control-Max-Age": str(MAX_AGE_SECONDS),
            "Vary": "Origin"}
