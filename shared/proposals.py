"""Replies the AI agent proposes: the agent drafts, a person decides.

A proposal is a row (``WhatsAppProposal``) the MCP tool ``propose_whatsapp_reply`` writes; it
never sends anything. Staff see the order's open proposals in the panel with Enviar / Editar /
Descartar: sending goes through the same outbox path as a reply typed by hand (same window
and template rules, same exactly-once), with the proposal marked ``sent`` in the very
transaction that writes the outbox row, so two people pressing Enviar send it once.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import db, orders, outbox, params, replies, schema, state, templates
from shared.errors import ApiError, InvalidParameter, OrderNotFound
from shared.params import parse_order_id
from shared.staff import Staff
from shared.text import iso

_p = schema.proposal
PROPOSED: Final = "proposed"


class ProposalNotFound(ApiError):
    status = 404
    type = "/problems/proposal-not-found"
    title = "Proposal not found"

    def __init__(self, proposal_id: int) -> None:
        super().__init__(f"No existe la propuesta {proposal_id} en esta orden.")


class ProposalDecided(ApiError):
    status = 409
    type = "/problems/proposal-decided"
    title = "Proposal already sent or discarded"

    def __init__(self, state: str) -> None:
        word = "enviada" if state == "sent" else "descartada"
        super().__init__(f"Esa propuesta ya fue {word}. Actualizá el panel.", state=state)


def _order_exists(conn: Connection, order_id: int) -> None:
    if not orders.exists(conn, order_id):
        raise OrderNotFound(order_id)


def dto(row: Any) -> dict[str, Any]:
    return {"id": row.Id, "orderId": row.ReparacionId, "kind": row.Kind, "text": row.Content,
            "templatePurpose": row.TemplatePurpose, "proposedBy": row.ProposedBy, "state": row.State,
            "createdAt": iso(row.CreatedAt), "decidedBy": row.DecidedByName,
            "decidedAt": iso(row.DecidedAt), "outboxId": row.OutboxId}


def propose_from_agent(order_id: Any, text: Any = None, template_purpose: Any = None,
                       url: str | None = None) -> dict[str, Any]:
    """The MCP tool's arguments as the model wrote them, checked; the proposal, compact."""
    order = parse_order_id(str(order_id) if order_id is not None else None)
    if text not in (None, "") and not isinstance(text, str):
        raise InvalidParameter("text", "text debe ser un texto.")
    if template_purpose not in (None, "") and not isinstance(template_purpose, str):
        raise InvalidParameter("templatePurpose", "templatePurpose debe ser un texto.")
    made = propose(order, text or None, template_purpose or None, url)
    return {k: v for k, v in made.items() if v is not None}


def parse_body(raw: bytes) -> dict[str, Any]:
    """The body of ``.../proposals/{id}/send``: ``{clientRequestId, text?}``."""
    body = params.json_object(raw)
    params.reject_unknown(body, {"clientRequestId", "text"})
    return body


def propose(order_id: int, text: str | None, template_purpose: str | None, url: str | None = None) -> dict[str, Any]:
    """Record the agent's draft (text, or a template purpose); nothing is sent."""
    text = text if text not in (None, "") else None
    template_purpose = template_purpose if template_purpose not in (None, "") else None
    if (text is None) == (template_purpose is None):
        raise InvalidParameter("text", "Indicá exactamente uno: text (un borrador) o templatePurpose.")
    if text is not None:
        text = replies.parse_text(text)
    if template_purpose is not None and template_purpose not in templates.purposes():
        known = ", ".join(sorted(templates.purposes())) or "ninguno configurado"
        raise InvalidParameter("templatePurpose", f"templatePurpose debe ser uno de: {known}.")

    def write(conn: Connection) -> dict[str, Any]:
        _order_exists(conn, order_id)
        pk = state.insert_once(conn, _p, {
            "ReparacionId": order_id, "Kind": "text" if text is not None else "template", "Content": text,
            "TemplatePurpose": template_purpose, "ProposedBy": "agent", "State": PROPOSED, "CreatedAt": db.utcnow()})
        return dto(conn.execute(sa.select(_p).where(_p.c.Id == pk)).one())

    return db.write(write, url)


def pending(order_id: int, url: str | None = None) -> dict[str, Any]:
    """The order's proposals nobody decided yet, oldest first."""

    def read(conn: Connection) -> dict[str, Any]:
        _order_exists(conn, order_id)
        rows = conn.execute(sa.select(_p).where(_p.c.ReparacionId == order_id, _p.c.State == PROPOSED)
                            .order_by(_p.c.Id).limit(100)).all()
        return {"orderId": order_id, "proposals": [dto(r) for r in rows]}

    return db.read(read, url)


def _get(conn: Connection, order_id: int, proposal_id: int) -> Any:
    row = conn.execute(sa.select(_p).where(_p.c.Id == proposal_id, _p.c.ReparacionId == order_id)).first()
    if row is None:
        raise ProposalNotFound(proposal_id)
    return row


def _decide(conn: Connection, proposal_id: int, state: str, staff: Staff | None, outbox_id: int | None) -> None:
    changed = conn.execute(_p.update().where(_p.c.Id == proposal_id, _p.c.State == PROPOSED).values(
        State=state, DecidedByStaffId=staff.id if staff else None, DecidedByName=staff.name if staff else None,
        DecidedAt=db.utcnow(), OutboxId=outbox_id)).rowcount
    if not changed:
        raise ProposalDecided(str(conn.execute(sa.select(_p.c.State).where(_p.c.Id == proposal_id)).scalar()))


def discard(order_id: int, proposal_id: int, staff: Staff | None, url: str | None = None) -> dict[str, Any]:
    def write(conn: Connection) -> dict[str, Any]:
        _get(conn, order_id, proposal_id)
        _decide(conn, proposal_id, "discarded", staff, None)
        return dto(_get(conn, order_id, proposal_id))

    return db.write(write, url)


def send(order_id: int, proposal_id: int, body: dict[str, Any], staff: Staff | None, url: str | None = None, *,
         sender: outbox.Sender | None = None) -> tuple[dict[str, Any], bool]:
    """Send a proposal (its text may come edited in ``body.text``) through the outbox; ``(answer, created)``."""
    client_request_id = replies.parse_client_request_id(body.get("clientRequestId"))
    row = db.read(lambda conn: _get(conn, order_id, proposal_id), url)
    if row.Kind == "text":
        edited = body.get("text")
        request = replies.SendRequest(client_request_id,
                                      text=replies.parse_text(edited if edited is not None else row.Content))
    else:
        if body.get("text") is not None:
            raise InvalidParameter("text", "Esta propuesta es una plantilla: no se puede editar su texto.")
        request = replies.SendRequest(client_request_id, template_purpose=row.TemplatePurpose)
    return replies.send(order_id, request, staff, url, sender=sender, proposal_id=proposal_id,
                        on_insert=lambda conn, outbox_id: _decide(conn, proposal_id, "sent", staff, outbox_id))
