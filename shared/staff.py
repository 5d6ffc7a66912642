"""Who is signed in: the staff member whose Microsoft Entra access token this app itself validated.

Why the app and not the platform: the function app runs on the Flex Consumption plan, where
App Service Authentication (Easy Auth) "isn't currently supported" and "unauthenticated callers
currently aren't blocked when EasyAuth is enabled" (Microsoft's Flex Consumption considerations).
So no header the platform might add is trusted (a client can send ``X-MS-CLIENT-PRINCIPAL``
itself, and nobody strips it): the one way to know who is signed in is the bearer token, checked
here on every staff request, as the same code runs locally and in any plan.

A token is accepted only if all of this holds (PyJWT does the cryptography):

* ``Authorization: Bearer <JWT>`` whose header says ``alg: RS256`` (``none``, HMAC, anything else:
  refused before any key is looked at; PyJWT is also told RS256 only, so an HMAC keyed with the
  public key cannot pass) and names a ``kid`` of the issuer's JWKS;
* the signature verifies with that key; the JWKS is fetched from ``STAFF_AUTH_JWKS_URI`` (Entra's
  ``https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`` by default) and cached; an
  unknown ``kid`` refetches it once (Entra rotates keys), at most every ``KEY_REFRESH_COOLDOWN``
  seconds, so random ``kid`` values cannot make each request a fetch; while the endpoint is unreachable,
  the keys last fetched (up to a day old) still count, so a short outage of the issuer locks nobody out;
* ``iss`` is ``STAFF_AUTH_ISSUER`` (Entra v2 ``https://login.microsoftonline.com/{tenant}/v2.0`` by
  default), ``aud`` one of ``STAFF_AUTH_AUDIENCE`` (the API's client id and/or ``api://`` URI),
  ``exp`` in the future and ``nbf``/``iat`` not (``LEEWAY_SECONDS`` for clock skew), ``tid`` is
  ``STAFF_AUTH_TENANT_ID``, ``oid`` is there (the person), and ``scp`` is there (a delegated token:
  a person signed in, not an application acting alone); with ``STAFF_AUTH_ALLOWED_CLIENTS`` set,
  ``azp`` (``appid`` in v1) must be one of them (FastService's front end).

v1 tokens (``iss`` ``https://sts.windows.net/{tenant}/``) are not accepted by default: Entra issues
the version the API's app registration asks for (``api.requestedAccessTokenVersion``), the README's
set-up asks for 2, and one issuer means one set of claims to read (v1 has no ``preferred_username``).

Outcomes: no or an invalid token with ``STAFF_SIGN_IN=required`` → :class:`SignInRequired` (401);
the issuer's keys cannot be fetched (and none fetched before has this ``kid``) → :class:`SignInUnavailable`
(503 + ``Retry-After``: the caller
did nothing wrong and a new token would not help); sign-in required but not configured (no tenant
or audience) → 401, and a warning in the log. ``STAFF_SIGN_IN=off`` (tests, local experiments;
never in Azure) → nobody is signed in and the staff routes answer anyway.

Who did what is recorded with the action (``WhatsAppSyncLog.StaffId`` / ``StaffName``) and never
logged above DEBUG: it is personal data. ``jwt`` is imported on the first staff request, not at
start-up (cold start).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared import config
from shared.errors import ApiError, Unavailable
from shared.observability import logger

if TYPE_CHECKING:
    from jwt import PyJWKClient

log = logger("staff")

MAX_ID, MAX_NAME = 64, 200  # the WhatsAppSyncLog columns
MAX_TOKEN_CHARS = 16_384  # Entra access tokens are ~1.5-3 KB; anything far larger is refused unread
LEEWAY_SECONDS = 60  # clock skew between Entra and this host
KEY_CACHE_SECONDS = 6 * 3600  # Entra rotates its signing keys with weeks of overlap
KEY_REFRESH_COOLDOWN = 60  # an unknown kid refetches the JWKS at most this often
KEY_FETCH_TIMEOUT = 5
UNAVAILABLE_RETRY_AFTER = 10  # after a failed fetch, no new fetch for this long (503 unless the last keys do)
STALE_KEYS_SECONDS = 24 * 3600  # while the issuer is unreachable, keys fetched up to this long ago still count
ENTRA_LOGIN = "https://login.microsoftonline.com"


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


class SignInUnavailable(Unavailable):
    """The issuer's signing keys could not be fetched: nobody can be signed in right now (503)."""

    type = "/problems/sign-in-unavailable"
    title = "Sign-in unavailable"

    def __init__(self, retry_after: int = UNAVAILABLE_RETRY_AFTER) -> None:
        ApiError.__init__(self, "No pudimos verificar tu sesión de FastService en este momento (el servicio de "
                                f"inicio de sesión no responde). Probá de nuevo en {retry_after} segundos.")
        self.retry_after = retry_after


class _Invalid(Exception):
    """The token is missing, malformed or not one this app accepts (the reason stays internal)."""


def sign_in_required() -> bool:
    return config.get("STAFF_SIGN_IN").lower() != "off"


@dataclass(frozen=True)
class Settings:
    """What a valid token must say, from ``STAFF_AUTH_*`` (defaults derived from the tenant)."""

    tenant: str
    issuer: str
    audiences: tuple[str, ...]
    jwks_uri: str
    allowed_clients: tuple[str, ...]

    @classmethod
    def read(cls) -> Settings | None:
        tenant = config.get("STAFF_AUTH_TENANT_ID")
        audiences = _listed(config.get("STAFF_AUTH_AUDIENCE"))
        if not tenant or not audiences:
            return None
        return cls(tenant=tenant,
                   issuer=config.get("STAFF_AUTH_ISSUER") or f"{ENTRA_LOGIN}/{tenant}/v2.0",
                   audiences=audiences,
                   jwks_uri=config.get("STAFF_AUTH_JWKS_URI") or f"{ENTRA_LOGIN}/{tenant}/discovery/v2.0/keys",
                   allowed_clients=_listed(config.get("STAFF_AUTH_ALLOWED_CLIENTS")))


def _listed(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


# --- the issuer's keys ------------------------------------------------------------------------

class _Keys:
    """One JWKS endpoint's keys: PyJWT's client (cache, one refetch per unknown kid with a cooldown,
    its own lock), plus a pause after a failed fetch so an outage is not a fetch per request."""

    def __init__(self, uri: str) -> None:
        from jwt import PyJWKClient

        options: dict[str, Any] = {"cache_jwk_set": True, "lifespan": KEY_CACHE_SECONDS,
                                   "timeout": KEY_FETCH_TIMEOUT, "cooldown_duration": KEY_REFRESH_COOLDOWN,
                                   "headers": {"User-Agent": "fastservice-whatsapp"}}
        self.client: PyJWKClient = (_file_client(uri, options) if uri.lower().startswith("file:")
                                    else PyJWKClient(uri, **options))
        self.down_until = 0.0

    def _last_known(self, kid: str) -> Any:
        """The key ``kid`` from the last set fetched, if that set is at most ``STALE_KEYS_SECONDS`` old."""
        cache = self.client.jwk_set_cache
        last = cache.jwk_set_with_timestamp if cache is not None else None
        if last is None or time.monotonic() - last.get_timestamp() > STALE_KEYS_SECONDS:
            return None
        found = next((k for k in last.get_jwk_set().keys if k.key_id == kid), None)
        return found.key if found is not None else None

    def _unavailable(self, exc: Exception, kid: str) -> Any:
        """After a failed fetch: pause fetching; a key of the last set still signs staff in, else 503."""
        self.down_until = time.monotonic() + UNAVAILABLE_RETRY_AFTER
        log.warning("staff sign-in: the issuer's signing keys could not be fetched (%s)", type(exc).__name__)
        key = self._last_known(kid)
        if key is None:
            raise SignInUnavailable() from exc
        return key

    def key_for(self, kid: str) -> Any:
        from jwt import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

        if time.monotonic() < self.down_until:  # pausing after a failed fetch: the last keys or nothing
            key = self._last_known(kid)
            if key is None:
                raise SignInUnavailable(max(1, round(self.down_until - time.monotonic())))
            return key
        known: Any = None
        try:
            # the cached set (fetched when missing or older than KEY_CACHE_SECONDS): any failure here is
            # the issuer's side (unreachable, not JSON, no usable key), never the caller's
            known = self.client.match_kid(self.client.get_signing_keys(), kid)
            if known is not None:
                return known.key
            # an unknown kid: PyJWT refetches once unless it fetched less than the cooldown ago
            return self.client.get_signing_key(kid).key
        except (PyJWKClientConnectionError, PyJWKSetError, ValueError) as exc:
            return self._unavailable(exc, kid)
        except PyJWKClientError as exc:
            if known is None and "matches" in str(exc):  # no key with this kid, even after the refetch allowed
                raise _Invalid("unknown kid") from exc
            return self._unavailable(exc, kid)


def _file_client(uri: str, options: dict[str, Any]) -> PyJWKClient:
    """A JWKS client reading a ``file:`` URL (local issuers: the runner's demo issuer, tests).

    PyJWT fetches http(s) only (a ``jku`` header must never read local files); this URL comes from
    the app's own settings, never from a token, so reading it is safe.
    """
    import json
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    from jwt import PyJWKClient, PyJWKClientConnectionError

    path = Path(unquote(urlparse(uri).path))

    class FileJWKClient(PyJWKClient):
        def fetch_data(self) -> Any:
            try:
                jwk_set = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise PyJWKClientConnectionError(f"cannot read {path.name}") from exc
            if not isinstance(jwk_set, dict):
                raise ValueError("not a JWK Set")
            if self.jwk_set_cache is not None:
                self.jwk_set_cache.put(jwk_set)
            self._last_successful_fetch = time.monotonic()
            return jwk_set

    return FileJWKClient("https://file.invalid/", **options)


_keys: dict[str, _Keys] = {}
_keys_lock = threading.Lock()


def _keys_of(uri: str) -> _Keys:
    with _keys_lock:
        if uri not in _keys:
            _keys[uri] = _Keys(uri)
        return _keys[uri]


# --- the token --------------------------------------------------------------------------------

def _bearer(headers: Mapping[str, str]) -> str:
    authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        raise _Invalid("no bearer token")
    return token


def validate(token: str, settings: Settings) -> dict[str, Any]:
    """The claims of a token this app accepts (see the module docstring), else ``_Invalid``;
    :class:`SignInUnavailable` when the issuer's keys cannot be fetched."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise _Invalid("malformed") from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid:
        raise _Invalid("algorithm or kid")
    key = _keys_of(settings.jwks_uri).key_for(kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=["RS256"], audience=list(settings.audiences), issuer=settings.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "tid", "oid", "scp"], "verify_signature": True})
    except jwt.PyJWTError as exc:
        raise _Invalid(type(exc).__name__) from exc
    if claims.get("tid") != settings.tenant:
        raise _Invalid("tenant")
    if settings.allowed_clients and (claims.get("azp") or claims.get("appid")) not in settings.allowed_clients:
        raise _Invalid("client application")
    return claims


def _clean(value: Any, limit: int) -> str | None:
    text = value if isinstance(value, str) else ""
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip()[:limit]
    return cleaned or None


def staff_of(claims: Mapping[str, Any]) -> Staff:
    """The staff member a validated token names (``oid``; ``name``, else the sign-in name)."""
    staff_id = _clean(claims.get("oid"), MAX_ID)
    if staff_id is None:
        raise _Invalid("oid")
    username = _clean(claims.get("preferred_username") or claims.get("upn"), MAX_NAME)
    return Staff(staff_id, _clean(claims.get("name"), MAX_NAME) or username or staff_id, username, "aad")


def signed_in(headers: Mapping[str, str]) -> Staff | None:
    """The staff member of a staff route's request.

    :class:`SignInRequired` when sign-in is required and the request carries no token this app
    accepts; :class:`SignInUnavailable` when the issuer's keys cannot be fetched; ``None`` with
    ``STAFF_SIGN_IN=off``.
    """
    if not sign_in_required():
        return None
    settings = Settings.read()
    if settings is None:
        log.warning("staff sign-in is required but STAFF_AUTH_TENANT_ID / STAFF_AUTH_AUDIENCE are not set")
        raise SignInRequired()
    try:
        staff = staff_of(validate(_bearer(headers), settings))
    except _Invalid as exc:
        log.debug("staff token refused: %s", exc)
        raise SignInRequired() from None
    log.debug("staff %s signed in", staff.id)
    return staff
