"""Consent to notifications: who agreed, who asked to stop, and reading an opt-out in a message.

Meta requires the customer's opt-in before a business sends them notifications, and a record of
it; a customer writing to the shop is *not* consent to notifications (answering them inside the
24-hour window always is allowed, and is not this module's business). So notifications go only to
customers whose latest consent row says ``opted_in``.

``WhatsAppConsent`` is append-only: every opt-in (staff, with who and how; or an import) and every
opt-out (a message of the customer, kept as evidence; or one found in an imported chat) is a row,
and the latest row (by when it was said, not when we wrote it: an imported "BAJA" of last year is
appended today and must not outrank an opt-in of last month) for the customer *or* for the phone a
notification would go to decides. Keying the opt-out by phone too
means a line shared by several customers, or a sender we could not match, still stops.

**The opt-out rule** (precise, so it can be tested and explained): the message, case- and
accent-folded, punctuation and emoji dropped, greetings and courtesies at either end removed
("hola", "por favor", "gracias"...), must *be* one of the phrases in :data:`OPT_OUT_PHRASES`
("baja", "stop", "no quiero recibir mensajes", "no me manden mas mensajes", "desuscribir"...).
A phrase inside a longer sentence is not an opt-out: "¿puedo dar de baja la garantía?",
"stop, ya lo retiré", "no quiero recibir mensajes de promociones pero sí del arreglo" are read by a
person. Messages longer than :data:`MAX_OPT_OUT_CHARS` are never an opt-out. Reading is linear in
the text and reads at most that many characters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, observability, schema, state
from shared.staff import Staff
from shared.text import iso

log = observability.logger(__name__)
_c = schema.consent

OPTED_IN: Final = "opted_in"
OPTED_OUT: Final = "opted_out"
ConsentState = Literal["opted_in", "opted_out", "unknown"]
SOURCES: Final = ("staff", "whatsapp", "import")
MAX_OPT_OUT_CHARS: Final = 200

OPT_OUT_PHRASES: Final[frozenset[str]] = frozenset({
    "baja", "de baja", "dar de baja", "darme de baja", "darse de baja", "quiero darme de baja",
    "quiero la baja", "pido la baja", "solicito la baja", "me doy de baja", "dame de baja", "denme de baja",
    "stop", "parar", "unsubscribe", "desuscribir", "desuscribirme", "desuscribime", "anular suscripcion",
    "cancelar suscripcion", "cancelar mensajes", "cancelar notificaciones",
    "no quiero recibir mensajes", "no quiero recibir mas mensajes", "no quiero mas mensajes",
    "no quiero recibir notificaciones", "no quiero recibir mas notificaciones", "no quiero mas notificaciones",
    "no me manden mas mensajes", "no me manden mensajes", "no me manden mas", "no me envien mas mensajes",
    "no me envien mensajes", "no me envien mas", "no me escriban mas", "no me escriban",
    "dejen de escribirme", "dejen de mandarme mensajes", "dejen de enviarme mensajes", "basta de mensajes",
})
"""Whole messages (after :func:`normalize`) that mean "stop sending me notifications"."""

_COURTESY: Final[frozenset[str]] = frozenset({
    "hola", "buenas", "buen dia", "buenos dias", "buenas tardes", "buenas noches", "por favor", "porfa", "xfa",
    "gracias", "muchas gracias", "ok", "okey", "bueno", "chau", "saludos"})
_COURTESY_WORDS: Final = max(len(c.split()) for c in _COURTESY)


def normalize(text: str) -> str:
    """Lower case, no accents, letters and digits only, single spaces (linear; the first
    :data:`MAX_OPT_OUT_CHARS` characters)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text[:MAX_OPT_OUT_CHARS].casefold()):
        if unicodedata.combining(ch):
            continue
        out.append(ch if ch.isalnum() else " ")
    return " ".join("".join(out).split())


def is_opt_out(text: str | None) -> bool:
    """Whether the whole message asks to stop notifications (the rule in the module's docstring)."""
    if not text or len(text) > MAX_OPT_OUT_CHARS:
        return False
    words = normalize(text).split()
    changed = True
    while changed and words:  # courtesies at either end, a bounded number of words each time
        changed = False
        for size in range(_COURTESY_WORDS, 0, -1):
            if len(words) > size and " ".join(words[:size]) in _COURTESY:
                words, changed = words[size:], True
                break
            if len(words) > size and " ".join(words[-size:]) in _COURTESY:
                words, changed = words[:-size], True
                break
    return " ".join(words) in OPT_OUT_PHRASES


@dataclass(frozen=True)
class Consent:
    state: ConsentState
    source: str | None = None
    at: datetime | None = None
    by: str | None = None
    evidence: str | None = None

    def dto(self) -> dict[str, Any]:
        return {"state": self.state, "source": self.source, "at": iso(self.at), "by": self.by,
                "evidence": self.evidence}


def current(conn: Connection, customer_id: int | None, phone_key: str | None) -> Consent:
    """The consent row said last (``At``, then the order written) for the customer or the phone; ``unknown``
    when there is none."""
    where = [c for c in ((_c.c.ClienteId == customer_id) if customer_id is not None else None,
                         (_c.c.PhoneKey == phone_key) if phone_key else None) if c is not None]
    if not where:
        return Consent("unknown")
    row = conn.execute(sa.select(_c).where(sa.or_(*where)).order_by(_c.c.At.desc(), _c.c.Id.desc()).limit(1)).first()
    if row is None:
        return Consent("unknown")
    return Consent(row.State, row.Source, row.At, row.ByName, row.Evidence)


def record(conn: Connection, *, state_: str, source: str, customer_id: int | None, phone_key: str | None,
           staff: Staff | None = None, evidence: str | None = None, message_id: int | None = None,
           at: datetime | None = None) -> int:
    """Append a consent row; its id."""
    row = state.fit(_c, {"ClienteId": customer_id, "PhoneKey": phone_key, "State": state_, "Source": source,
                         "At": at or db.utcnow(), "ByStaffId": staff.id if staff else None,
                         "ByName": staff.name if staff else None, "Evidence": evidence, "MessageId": message_id})
    key = conn.execute(_c.insert(), row).inserted_primary_key
    assert key is not None
    return int(key[0])


def on_inbound(conn: Connection, message_pk: int, text: str | None, customer_ids: list[int],
               phone_key: str | None, *, source: str = "whatsapp", at: datetime | None = None) -> bool:
    """An opt-out message (at ingest; or in an imported chat, ``source="import"`` with the message's
    time) records ``opted_out`` for its phone and every customer it matched (the message is the
    evidence). Whether it was one."""
    if not is_opt_out(text):
        return False
    for customer_id in customer_ids or [None]:  # type: ignore[list-item]
        record(conn, state_=OPTED_OUT, source=source, customer_id=customer_id, phone_key=phone_key,
               evidence=(text or "")[:MAX_OPT_OUT_CHARS], message_id=message_pk, at=at)
    log.info("message %s: opt-out recorded for %d customer(s)", message_pk, len(customer_ids))
    return True
