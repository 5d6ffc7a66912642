"""Quote approval by button: signed quick-reply payloads, and what a tap on one means.

The quote template (purpose ``presupuestado``) carries two quick-reply buttons, "Acepto" and
"No, gracias" (in that order). Each goes out with a payload of ours::

    q1.<orderId>.<quoteRef>.<a|r>.<mac>

``quoteRef`` is the ``NovedadId`` of the order's quote (its latest novedad with a ``Monto``: the
amount the template showed), ``a``/``r`` accept or reject, and ``mac`` the first 96 bits of
HMAC-SHA256 over the rest with ``BUTTON_SIGNING_KEY``, base64url. WhatsApp hands the payload back
untouched in ``data.button.payload`` when the customer taps. So:

* nobody can forge an approval for another order or amount (the MAC), checked in constant time;
* a tap on a quote that is no longer the order's latest (a newer quote was written) is *outdated*:
  answered kindly ("ese presupuesto ya no está vigente"), never recorded as a decision;
* a recorded decision is a ``Novedad`` ("Presupuesto aceptado por WhatsApp", with the quoted
  ``Monto``) written in the transaction that stores the tap's message, once per payload
  (``WhatsAppQuoteReply.DecisionKey``): Event Grid's redeliveries and a second tap of the same
  button are the same decision. Accepting and then rejecting the same quote are two taps, both
  recorded, in the order they came, for a person to read.
* FastService's own status columns are never touched: staff decide what the answer means.

Every tap leaves a ``WhatsAppQuoteReply`` row with its outcome (``recorded``, ``duplicate``,
``outdated``, ``forged``, ``unsigned``, ``no_order``), so the panel can show it and nothing is
silently dropped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, observability, schema, state

log = observability.logger(__name__)
_q, _nov, _tipo, _rep = schema.quote_reply, schema.novedad, schema.tipo_novedad, schema.reparacion

PREFIX: Final = "q1"
ACCEPT: Final = "a"
REJECT: Final = "r"
MAC_CHARS: Final = 16  # base64url characters: 96 bits
MAX_PAYLOAD: Final = 100
_PAYLOAD = re.compile(r"q1\.([1-9][0-9]{0,9})\.([1-9][0-9]{0,9})\.([ar])\.([A-Za-z0-9_-]{16})")
OBSERVACION: Final = {ACCEPT: "Presupuesto aceptado por WhatsApp", REJECT: "Presupuesto rechazado por WhatsApp"}
TIPO: Final = {ACCEPT: schema.PRESUPUESTO_ACEPTADO, REJECT: schema.PRESUPUESTO_RECHAZADO}
OUTDATED_TEXT: Final = ("Ese presupuesto ya no está vigente; te mandamos el actualizado. Si tenés dudas, "
                        "escribinos por acá.")


class NoKey(Exception):
    """No signing key: quote buttons cannot be signed or verified."""


KEY_STATE: Final = "button-signing-key"


def key(conn: Connection) -> bytes:
    """``BUTTON_SIGNING_KEY`` when set; otherwise a random key generated once into ``WhatsAppState`` (the first
    writer wins the row; everyone reads it back): no secret in settings, only the app's identity and the DBAs
    can read it, and it lives as long as the buttons it signed."""
    configured = config.get("BUTTON_SIGNING_KEY")
    if configured:
        if len(configured) < 32:
            raise NoKey("BUTTON_SIGNING_KEY must be at least 32 characters")
        return configured.encode()
    stored = state.value(conn, KEY_STATE)
    if not stored:
        state.insert_once(conn, schema.state, {"Name": KEY_STATE, "Value": secrets.token_urlsafe(48),
                                               "UpdatedAt": db.utcnow()})
        stored = state.value(conn, KEY_STATE)
    if not stored:
        raise NoKey("the button signing key could not be stored")
    return stored.encode()


def _mac(body: str, secret: bytes) -> str:
    digest = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:MAC_CHARS]


def sign(conn: Connection, order_id: int, quote_ref: int, decision: str) -> str:
    body = f"{PREFIX}.{order_id}.{quote_ref}.{decision}"
    return f"{body}.{_mac(body, key(conn))}"


@dataclass(frozen=True)
class Verified:
    order_id: int
    quote_ref: int
    decision: str


def verify(conn: Connection, payload: str) -> Verified | str:
    """The payload's order, quote and decision, or why not: ``unsigned`` (not one of ours: no ``q1.``
    shape), ``forged`` (our shape, wrong MAC), ``no_key``."""
    if not payload.startswith(PREFIX + ".") or len(payload) > MAX_PAYLOAD:
        return "unsigned"
    found = _PAYLOAD.fullmatch(payload)
    if found is None:
        return "forged"
    try:
        secret = key(conn)
    except NoKey:
        return "no_key"
    body = payload[: payload.rindex(".")]
    if not hmac.compare_digest(_mac(body, secret), found.group(4)):
        return "forged"
    return Verified(int(found.group(1)), int(found.group(2)), found.group(3))


# --- the quote of an order -------------------------------------------------------------------

def latest_quote(conn: Connection, order_id: int) -> tuple[int, Decimal] | None:
    """The order's quote: its latest novedad with an amount (the one templates show), as (id, amount)."""
    row = conn.execute(sa.select(_nov.c.NovedadId, _nov.c.Monto).where(
        _nov.c.ReparacionId == order_id, _nov.c.Monto.is_not(None), _nov.c.TipoNovedadId.not_in(
            sa.select(_tipo.c.TipoNovedadId).where(_tipo.c.nombre.in_(list(TIPO.values())))))
        .order_by(_nov.c.ModificadoEn.desc(), _nov.c.NovedadId.desc()).limit(1)).first()
    return None if row is None else (int(row.NovedadId), Decimal(row.Monto))


def payloads(conn: Connection, order_id: int) -> list[str] | None:
    """The two payloads (accept, reject) for the order's current quote; ``None`` without a quote or a key."""
    quote = latest_quote(conn, order_id)
    if quote is None:
        return None
    try:
        return [sign(conn, order_id, quote[0], ACCEPT), sign(conn, order_id, quote[0], REJECT)]
    except NoKey:
        log.error("quote buttons go out unsigned: BUTTON_SIGNING_KEY is too short")
        return None


# --- a tap -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tap:
    outcome: str
    order_id: int | None = None
    novedad_id: int | None = None


def _digest(payload: str) -> str:
    return "p:" + hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def on_tap(conn: Connection, message_pk: int, payload: str) -> Tap:
    """What a quick-reply tap means, written in the ingest transaction of its message (see the module)."""
    verified = verify(conn, payload)
    now = db.utcnow()

    def keep(outcome: str, **row: Any) -> Tap:
        conn.execute(_q.insert(), {"MessageId": message_pk, "DecisionKey": f"m:{message_pk}", "Outcome": outcome,
                                   "CreatedAt": now, **row})
        log.info("message %s: quote button %s", message_pk, outcome)
        return Tap(outcome, row.get("ReparacionId"))

    if isinstance(verified, str):
        if verified == "forged":
            log.warning("message %s: quote button payload with a wrong signature, not recorded", message_pk)
        return keep(verified)
    ids = {"ReparacionId": verified.order_id, "QuoteRef": verified.quote_ref, "Decision": verified.decision}
    order_customer = conn.execute(sa.select(_rep.c.ClienteId).where(
        _rep.c.ReparacionId == verified.order_id)).scalar()
    if order_customer is None:
        return keep("no_order", **ids)
    quote = latest_quote(conn, verified.order_id)
    if quote is None or quote[0] != verified.quote_ref:
        return keep("outdated", **ids)
    amount = quote[1]
    tipo = conn.execute(sa.select(_tipo.c.TipoNovedadId).where(_tipo.c.nombre == TIPO[verified.decision])).scalar()
    if tipo is None:
        raise RuntimeError(f"TipoNovedad '{TIPO[verified.decision]}' is missing: run sql/009")
    recorded = state.insert_once(conn, _q, {"MessageId": message_pk, "DecisionKey": _digest(payload),
                                            "Outcome": "recorded", "CreatedAt": now, "Monto": amount, **ids})
    if recorded is None:
        return keep("duplicate", **ids)
    novedad = conn.execute(_nov.insert().values(
        ReparacionId=verified.order_id, UserId=config.get_int("SUMMARY_USER_ID"), TipoNovedadId=tipo, Monto=amount,
        Observacion=OBSERVACION[verified.decision], ModificadoEn=now)).inserted_primary_key
    assert novedad is not None
    conn.execute(_q.update().where(_q.c.Id == recorded).values(NovedadId=int(novedad[0])))
    log.info("order %s: quote %s by button (novedad %s)", verified.order_id, verified.decision, novedad[0])
    return Tap("recorded", verified.order_id, int(novedad[0]))


def order_replies(conn: Connection, order_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The order's quote taps, newest first, as the panel shows them."""
    rows = conn.execute(sa.select(_q).where(_q.c.ReparacionId == order_id).order_by(_q.c.Id.desc())
                        .limit(limit)).all()
    return [{"id": r.Id, "messageId": r.MessageId, "decision": {"a": "accepted", "r": "rejected"}.get(r.Decision or ""),
             "outcome": r.Outcome, "quoteRef": r.QuoteRef, "amount": float(r.Monto) if r.Monto is not None else None,
             "novedadId": r.NovedadId, "at": r.CreatedAt.isoformat() if r.CreatedAt else None} for r in rows]
