"""WhatsApp templates: the registry synced from ACS, FastService's purposes, and filling them from an order.

Outside the 24-hour window only templates Meta approved can be sent, and Meta can pause,
reject or recategorise one at any time without telling us; so the registry
(``WhatsAppTemplate``) is a copy of what ACS lists, refreshed on a timer and on demand, and
only ``approved`` templates still listed are offered. One that disappeared is kept with
``Present = 0`` (a sent message may still name it), never deleted.

FastService's staff already write PRESUPUESTADO, REPARADO, RECHAZADO, a pickup reminder and
a greeting by hand; ``WHATSAPP_TEMPLATES`` maps each purpose to the template that replaces it
and to the order fields that fill its positional parameters (``=text`` for a fixed word where the
order holds nothing to say, e.g. the device: FastService keeps only brand and type ids). A value the order lacks (an
order with no budget yet) is reported as ``missing`` and the template cannot be sent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import config, db, observability, schema, state
from shared.errors import ApiError

log = observability.logger(__name__)
_t = schema.template
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]{1,40})\s*\}\}")
FIELDS: Final[dict[str, str]] = {
    "cliente": "el nombre del cliente",
    "ticket": "el número de orden",
    "presupuesto": "el presupuesto (una novedad de la orden con monto)",
}
"""The order values a template can be filled with, and how staff call each when it is missing."""


@dataclass(frozen=True)
class Purpose:
    purpose: str
    name: str
    language: str
    fields: tuple[str, ...]


def purposes() -> dict[str, Purpose]:
    """``WHATSAPP_TEMPLATES`` read: purpose -> template; a malformed entry is left out (and logged)."""
    raw = config.get("WHATSAPP_TEMPLATES")
    try:
        spec = json.loads(raw)
    except ValueError:
        log.error("WHATSAPP_TEMPLATES is not JSON; no template purposes are offered")
        return {}
    result: dict[str, Purpose] = {}
    if not isinstance(spec, dict):
        log.error("WHATSAPP_TEMPLATES must be a JSON object")
        return {}
    for purpose, value in spec.items():
        parts = str(value).split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            log.error("WHATSAPP_TEMPLATES: entry %s is not name:language[:fields]", purpose)
            continue
        fields = tuple(f.strip() for f in parts[2].split(",") if f.strip()) if len(parts) == 3 else ()
        if any(f not in FIELDS and not f.startswith("=") for f in fields):
            log.error("WHATSAPP_TEMPLATES: entry %s names a field other than %s", purpose, ", ".join(FIELDS))
            continue
        result[str(purpose)] = Purpose(str(purpose), parts[0].strip(), parts[1].strip(), fields)
    return result


# --- the registry ---------------------------------------------------------------------------

def _components(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return []
    if isinstance(content, dict):
        content = content.get("components", [])
    return [c for c in content if isinstance(c, dict)] if isinstance(content, list) else []


def parse_content(content: Any) -> tuple[str | None, list[str], list[Any], str | None]:
    """Body text, its parameters (in order of first use), buttons and category of ACS's ``content``."""
    components = _components(content)
    body = next((str(c.get("text") or "") for c in components if str(c.get("type", "")).upper() == "BODY"), None)
    buttons = next((c.get("buttons") for c in components if str(c.get("type", "")).upper() == "BUTTONS"), None)
    category = content.get("category") if isinstance(content, dict) else None
    return body, parameters(body or ""), buttons if isinstance(buttons, list) else [], \
        str(category).lower() if category else None


def parameters(body: str) -> list[str]:
    """The placeholders of a template body, each once: positional ones by number (the order ACS binds
    values in), named ones in order of first appearance."""
    seen: dict[str, None] = {}
    for name in _PLACEHOLDER.findall(body):
        seen.setdefault(name, None)
    return sorted(seen, key=lambda n: (0, int(n), "") if n.isdigit() else (1, 0, ""))


class MessagingUnavailable(ApiError):
    status = 503
    type = "/problems/messaging-unavailable"
    title = "Messaging service unavailable"

    def __init__(self) -> None:
        super().__init__("El servicio de mensajería (ACS) no respondió. Probá de nuevo en unos minutos.")


class MessagingNotConfigured(ApiError):
    status = 409  # a state of this deployment, not a fault: nothing to retry until it is configured
    type = "/problems/messaging-not-configured"
    title = "Messaging not configured"

    def __init__(self) -> None:
        super().__init__("El envío por WhatsApp no está configurado (falta ACS_ENDPOINT). Avisá al administrador.")


def sync_now(url: str | None = None) -> dict[str, int]:
    """:func:`sync` for the operators' endpoint: ACS down or not configured is a 503 problem."""
    from azure.core.exceptions import AzureError

    from shared import acs_client

    try:
        return sync(url)
    except acs_client.NotConfigured as exc:
        raise MessagingNotConfigured() from exc
    except (AzureError, OSError) as exc:  # OSError: TLS or CA file trouble before any answer
        log.warning("template sync failed: %s", type(exc).__name__)
        raise MessagingUnavailable() from exc


def sync_on_timer(url: str | None = None) -> None:
    """:func:`sync` for the timer: nothing to do without ACS; its faults wait for the next run."""
    from shared import acs_client

    if acs_client.mode() == "none":
        return
    sync_now(url)


def sync(url: str | None = None) -> dict[str, int]:
    """Refresh the registry from ACS (every page); templates no longer listed are marked, not deleted."""
    from shared import acs_client

    channel = config.get("WHATSAPP_CHANNEL_ID")
    listed = list(acs_client.list_templates(channel))
    now = db.utcnow()

    def write(conn: Connection) -> dict[str, int]:
        seen: set[tuple[str, str]] = set()
        for item in listed:
            body, params, buttons, category = parse_content(item.content)
            row = state.fit(_t, {"Status": item.status, "Category": category, "Parameters": json.dumps(params),
                                 "Body": body, "Buttons": json.dumps(buttons, ensure_ascii=False) if buttons else None,
                                 "Present": True, "SyncedAt": now})
            key = (item.name, item.language)
            seen.add(key)
            where = (_t.c.Name == item.name) & (_t.c.Language == item.language)
            updated = conn.execute(_t.update().where(where).values(**row)).rowcount
            if not updated and state.insert_once(conn, _t, {"Name": item.name, "Language": item.language,
                                                            **row}) is None:
                conn.execute(_t.update().where(where).values(**row))  # inserted meanwhile by another sync
        gone = 0
        for name, language in conn.execute(sa.select(_t.c.Name, _t.c.Language).where(_t.c.Present == sa.true())).all():
            if (name, language) not in seen:
                conn.execute(_t.update().where((_t.c.Name == name) & (_t.c.Language == language))
                             .values(Present=False, SyncedAt=now))
                gone += 1
        return {"listed": len(listed), "approved": sum(1 for i in listed if i.status == "approved"),
                "disappeared": gone}

    report = db.write(write, url)
    log.info("templates synced: %s", report)
    return report


# --- filling from an order ------------------------------------------------------------------

def money(amount: Decimal | float | int) -> str:
    """An amount as Argentina writes it: ``$ 85.000`` (``$ 85.000,50`` with cents)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    whole, cents = divmod(abs(value), 1)
    text = f"{int(whole):,}".replace(",", ".")
    if cents:
        text += "," + f"{cents:.2f}"[2:]
    return f"{'-' if value < 0 else ''}$ {text}"


def order_values(conn: Connection, order_id: int, first_name: str | None) -> dict[str, str | None]:
    """The values templates are filled with: ticket, the customer's first name, the latest budget."""
    nov = schema.novedad
    amount = conn.execute(sa.select(nov.c.Monto).where(nov.c.ReparacionId == order_id, nov.c.Monto.is_not(None))
                          .order_by(nov.c.ModificadoEn.desc(), nov.c.NovedadId.desc()).limit(1)).scalar()
    return {"ticket": str(order_id), "cliente": (first_name or "").strip() or None,
            "presupuesto": money(amount) if amount is not None else None}


@dataclass(frozen=True)
class Filled:
    purpose: str | None
    name: str
    language: str
    category: str | None
    parameters: list[str]
    values: list[str | None]
    preview: str
    missing: list[str]


def fill(body: str, params: list[str], fields: tuple[str, ...], values: dict[str, str | None]) -> tuple[
        list[str | None], str, list[str]]:
    """Values for ``params`` (positional ones through ``fields``, named ones by name), the preview, what is
    missing (as field names, or ``{{n}}`` when nothing says what fills it)."""
    filled: list[str | None] = []
    missing: list[str] = []
    by_param: dict[str, str | None] = {}
    label: dict[str, str] = {}  # what a missing value is called in the preview: the field, not "{{4}}"
    for param in params:
        field = fields[int(param) - 1] if param.isdigit() and 0 < int(param) <= len(fields) else param
        value = field[1:] if field.startswith("=") else values.get(field) if field in FIELDS else None
        if value is None:
            missing.append(field if field in FIELDS else "{{" + param + "}}")
        filled.append(value)
        by_param[param] = value
        label[param] = field if field in FIELDS else param
    preview = _PLACEHOLDER.sub(
        lambda m: by_param.get(m.group(1)) or f"«{label.get(m.group(1), m.group(1))}»", body)
    return filled, preview, missing


def usable(conn: Connection, order_id: int, first_name: str | None) -> list[Filled]:
    """Every approved template still listed, filled for the order; the configured purposes first."""
    rows = conn.execute(sa.select(_t.c.Name, _t.c.Language, _t.c.Category, _t.c.Parameters, _t.c.Body)
                        .where(_t.c.Status == "approved", _t.c.Present == sa.true())
                        .order_by(_t.c.Name, _t.c.Language)).all()
    by_key = {(r.Name, r.Language): r for r in rows}
    values = order_values(conn, order_id, first_name)
    result: list[Filled] = []
    used: set[tuple[str, str]] = set()
    for purpose in purposes().values():
        row = by_key.get((purpose.name, purpose.language))
        if row is not None:
            used.add((row.Name, row.Language))
            result.append(_filled(row, purpose.purpose, purpose.fields, values))
    result += [_filled(r, None, (), values) for r in rows if (r.Name, r.Language) not in used]
    return result


def _filled(row: Any, purpose: str | None, fields: tuple[str, ...], values: dict[str, str | None]) -> Filled:
    params = json.loads(row.Parameters or "[]")
    filled, preview, missing = fill(row.Body or "", params, fields, values)
    return Filled(purpose, row.Name, row.Language, row.Category, params, filled, preview, missing)


def dto(item: Filled) -> dict[str, Any]:
    return {"purpose": item.purpose, "name": item.name, "language": item.language, "category": item.category,
            "preview": item.preview, "missing": item.missing, "sendable": not item.missing}


def quick_replies(conn: Connection, name: str, language: str) -> int:
    """How many quick-reply buttons the registry says the template has."""
    raw = conn.execute(sa.select(_t.c.Buttons).where(_t.c.Name == name, _t.c.Language == language)).scalar()
    try:
        buttons = json.loads(raw) if raw else []
    except ValueError:
        return 0
    return sum(1 for b in buttons if isinstance(b, dict) and str(b.get("type", "")).upper() == "QUICK_REPLY")
