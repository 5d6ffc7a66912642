"""Demo data for the embedded database: customers, orders and a few conversations.

Loaded only into an empty database (no ``Cliente`` rows). Inbound messages go
through the real ingest path (the same events ACS publishes); the shop's messages
are recorded as the ACS send path records them, then moved through delivery
statuses by status events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from devkit import acs_events
from shared import db, ingest, message_store, schema
from shared.identity import customer_phones

ESTADOS = ("Ingresado", "Presupuestado", "En reparación", "Reparado", "Entregado", "Rechazado")

# (Nombre, Apellido, Telefono1, Telefono2): phones as FastService staff type them
CUSTOMERS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("Juan", "Pérez", "11-5555-1234", None),
    ("María", "González", "011 15-4444-5678", None),
    ("Carlos", "Rodríguez", "15 6666 7777", None),
    ("Lucía", "Fernández", "+54 9 11 3333 2222", None),
    ("Martín", "López", "(011) 4555-1234", None),
    ("Sofía", "Martínez", "1144443333", None),
    ("Diego", "Gómez", "11 5555 8888 / 4555-8888 casa", None),
    ("Valentina", "Díaz", "", "0351 15 555-1234"),
    ("Javier", "Torres", "no tiene", None),
    ("Camila", "Ruiz", "11 2222-3333", None),
    ("Pablo", "Ruiz", "11 2222 3333", "15-2222-3333"),
    ("Florencia", "Sánchez", "+54 11 7777-6666", None),
    ("Agustín", "Romero", "11 6543-2100", None),
)


def is_empty(conn: Connection) -> bool:
    return conn.execute(sa.select(sa.func.count()).select_from(schema.cliente)).scalar() == 0


def load(url: str | None = None, now: datetime | None = None, *, notifications: bool = False) -> bool:
    """Load the demo into an empty database; ``False`` (and nothing written) otherwise. ``notifications``: also
    the order notifications' demo (``make setup``; the suites start from the plain demo)."""
    now = now or datetime.now(UTC)
    loaded = db.write(lambda conn: _load_tables(conn, now) if is_empty(conn) else False, url)
    if loaded:
        for event in conversations(now):
            ingest.ingest_event(event, url)
        _proposals(url)
        if notifications:
            _notifications(url, now)
            quote_tap(url, now)
        _inbox(url)
    return bool(loaded)


QUOTE_ORDER = 9  # Diego's order: a quote of $ 120.000, offered to staff as one click (issue 18)


def _notifications(url: str | None, now: datetime) -> None:
    """Issue 18: Diego agreed to notifications (recorded by Ana), his order got a quote, went back to
    "Presupuestado" after the first poll, so the panel offers "Enviar aviso" (the quote template with its signed
    Acepto / No, gracias buttons)."""
    from shared import consent, notifications
    from shared.staff import Staff

    r = schema.reparacion

    def quote(conn: Connection) -> None:
        tipo = conn.execute(schema.tipo_novedad.insert().values(nombre="Presupuesto", activo=True,
                                                                modificadoEn=_ago(now, minutes=30)))
        key = tipo.inserted_primary_key
        assert key is not None
        conn.execute(schema.novedad.insert().values(
            ReparacionId=QUOTE_ORDER, UserId=1, TipoNovedadId=int(key[0]), Monto=120000,
            Observacion="Presupuesto: cambio de batería y limpieza", ModificadoEn=_ago(now, minutes=30)))
        customer = conn.execute(sa.select(r.c.ClienteId).where(r.c.ReparacionId == QUOTE_ORDER)).scalar()
        consent.record(conn, state_=consent.OPTED_IN, source="staff", customer_id=customer, phone_key=None,
                       staff=Staff("demo-ana", "Ana Gómez"), evidence="Firmó la orden de ingreso (demo)",
                       at=_ago(now, minutes=40))
        conn.execute(r.update().where(r.c.ReparacionId == QUOTE_ORDER).values(
            EstadoReparacionId=3, ModificadoEn=_ago(now, minutes=25)))

    db.write(quote, url)
    notifications.poll(url, now=_ago(now, minutes=20))  # the first run: records, notifies nothing
    db.write(lambda conn: conn.execute(r.update().where(r.c.ReparacionId == QUOTE_ORDER).values(
        EstadoReparacionId=2, ModificadoEn=_ago(now, minutes=10))), url)
    notifications.poll(url, now=_ago(now, minutes=9))
    notifications.dispatch(url, now=_ago(now, minutes=1))  # an offer: nothing is sent


TAP_ORDER_CUSTOMER = "Agustín"  # his order's quote of $ 45.000, accepted with the template's button (issue 18)


def _quote_tipo(conn: Connection, now: datetime) -> int:
    found = conn.execute(sa.select(schema.tipo_novedad.c.TipoNovedadId)
                         .where(schema.tipo_novedad.c.nombre == "Presupuesto")).scalar()
    if found is not None:
        return int(found)
    key = conn.execute(schema.tipo_novedad.insert().values(nombre="Presupuesto", activo=True,
                                                           modificadoEn=now)).inserted_primary_key
    assert key is not None
    return int(key[0])


def quote_tap(url: str | None, now: datetime) -> int:
    """Issue 18: Agustín got a quote ($ 45.000) and tapped «Acepto» on it: the signed payload arrives as
    WhatsApp delivers a quick-reply tap and goes through ingest, so the panel and the inbox show «Presupuesto
    aceptado por WhatsApp». The order's id."""
    from shared import quote_buttons

    def quote(conn: Connection) -> tuple[int, str]:
        customer = conn.execute(sa.select(schema.cliente.c.ClienteId)
                                .where(schema.cliente.c.Nombre == TAP_ORDER_CUSTOMER)).scalar_one()
        order_id = _order_of(conn, int(customer))
        key = conn.execute(schema.novedad.insert().values(
            ReparacionId=order_id, UserId=1, TipoNovedadId=_quote_tipo(conn, _ago(now, hours=3)), Monto=45000,
            Observacion="Presupuesto: lectora de discos", ModificadoEn=_ago(now, hours=3))).inserted_primary_key
        assert key is not None
        return order_id, quote_buttons.sign(conn, order_id, int(key[0]), quote_buttons.ACCEPT)

    order_id, payload = db.write(quote, url)
    ingest.ingest_event(acs_events.received(demo_phone(TAP_ORDER_CUSTOMER), message_type="button",
                                            when=_ago(now, hours=2), button={"text": "Acepto", "payload": payload}),
                        url)
    return order_id


def offer_notice(url: str | None, order_id: int, status: str, now: datetime | None = None) -> int:
    """The order's customer agreed (recorded by Ana) and the order just moved to ``status``: the poller notices
    it and the dispatcher offers it to staff (``NOTIFY_RULES`` must say ``offer`` for it). For tests and the
    e2e suite; the notification's id."""
    from shared import consent, notifications, state
    from shared.staff import Staff

    now = now or datetime.now(UTC)
    r = schema.reparacion
    if db.read(lambda conn: state.value(conn, notifications.WATERMARK), url) is None:
        notifications.poll(url, now=_ago(now, minutes=20))  # the first run records, notifies nothing

    def change(conn: Connection) -> None:
        estado = conn.execute(sa.select(schema.estado_reparacion.c.EstadoReparacionId)
                              .where(schema.estado_reparacion.c.Nombre == status)).scalar_one()
        customer = conn.execute(sa.select(r.c.ClienteId).where(r.c.ReparacionId == order_id)).scalar_one()
        if consent.current(conn, customer, None).state != consent.OPTED_IN:
            consent.record(conn, state_=consent.OPTED_IN, source="staff", customer_id=customer, phone_key=None,
                           staff=Staff("demo-ana", "Ana Gómez"), evidence="En el mostrador (demo)",
                           at=_ago(now, minutes=15))
        conn.execute(r.update().where(r.c.ReparacionId == order_id).values(
            EstadoReparacionId=estado, ModificadoEn=_ago(now, minutes=10)))

    db.write(change, url)
    notifications.poll(url, now=_ago(now, minutes=9))
    notifications.dispatch(url, now=_ago(now, minutes=1))
    n = schema.notification
    return int(db.read(lambda conn: conn.execute(sa.select(sa.func.max(n.c.Id)).where(
        n.c.ReparacionId == order_id, n.c.State == notifications.OFFERED)).scalar_one(), url))


def _proposals(url: str | None) -> None:
    """Two replies the agent proposed (issue 15), so the panel shows Enviar / Editar / Descartar: a draft for
    María (her window is open) and a template for Juan (his is closed)."""
    from shared import proposals

    proposals.propose(2, "Hola María, la notebook va a estar lista el lunes a la mañana. Te avisamos por acá.",
                      None, url)
    proposals.propose(1, None, "reparado", url)


RELATIVE, UNKNOWN = "5491170001111", "5491188887777"
"""Inbox demo senders: Juan Pérez's daughter on her own phone, and Martín López from a mobile FastService
does not have (his file holds a landline)."""


def _inbox(url: str | None) -> None:
    """What the inbox shows on top of the conversations: the assistant's proposal for the daughter's
    number, waiting for a person to confirm it."""
    from shared import triage
    from shared.phones import parse_whatsapp_id

    phone = parse_whatsapp_id(RELATIVE)
    assert phone is not None
    triage.propose(f"phone:{phone.key}", 1, 1,
                   "Dice ser la hija de Juan Pérez y pregunta por el Samsung A52 de su papá.", url)


def _ago(now: datetime, **delta: float) -> datetime:
    return (now - timedelta(**delta)).astimezone(UTC).replace(tzinfo=None)


def _load_tables(conn: Connection, now: datetime) -> bool:
    conn.execute(schema.estado_reparacion.insert(), [{"Nombre": n} for n in ESTADOS])
    ids = []
    for i, (nombre, apellido, tel1, tel2) in enumerate(CUSTOMERS):
        result = conn.execute(schema.cliente.insert().values(
            Dni=20_000_000 + i * 1_234_567, Nombre=nombre, Apellido=apellido,
            Mail=f"{nombre.lower()}.{apellido.lower()}@example.com".replace("í", "i").replace("é", "e")
            .replace("á", "a").replace("ó", "o").replace("ú", "u"),
            Telefono1=tel1, Telefono2=tel2, Direccion=f"Av. Corrientes {1000 + i * 37}",
            Localidad="CABA"))
        key = result.inserted_primary_key
        assert key is not None
        ids.append(int(key[0]))
    # (customer index, days since created, closed?, estado)
    orders = [(0, 6, False, 2), (1, 3, False, 3), (2, 40, True, 5), (2, 2, False, 1), (3, 10, False, 2),
              (3, 4, False, 3), (4, 5, False, 1), (5, 8, False, 4), (6, 12, False, 2), (7, 9, False, 3),
              (8, 1, False, 1), (9, 7, False, 2), (10, 20, True, 5), (11, 60, True, 5), (12, 5, False, 2)]
    for customer, days, closed, estado in orders:
        created = _ago(now, days=days)
        conn.execute(schema.reparacion.insert().values(
            ClienteId=ids[customer], EmpleadoAsignadoId=1, TecnicoAsignadoId=2, EstadoReparacionId=estado,
            MarcaId=1 + customer % 5, TipoDispositivoId=1 + customer % 3, CreadoEn=created, ModificadoEn=created,
            FechaEntrega=_ago(now, days=days - 5) if closed else None))
    _outbound(conn, now, ids)
    return True


def _order_of(conn: Connection, cliente_id: int) -> int:
    r = schema.reparacion
    return int(conn.execute(sa.select(sa.func.max(r.c.ReparacionId)).where(r.c.ClienteId == cliente_id)).scalar_one())


def _outbound(conn: Connection, now: datetime, ids: list[int]) -> None:
    """The shop's side of the demo conversations (as the ACS send path records it)."""
    sent = [
        (0, "demo-out-juan-1", "Hola Juan, ya revisamos tu Samsung A52: hay que cambiar el módulo de pantalla. "
                              "El presupuesto es $85.000 y estaría listo el viernes. ¿Lo aprobás?", 2, 20),
        (1, "demo-out-maria-1", "Hola María, tu notebook ya está en reparación. Te avisamos cuando esté lista.",
         0, 26),
        (7, "demo-out-valentina-1", "Hola Valentina, te mandamos el presupuesto por acá.", 1, 3),
    ]
    for customer, message_id, text, days, hours in sent:
        cliente = ids[customer]
        row = conn.execute(sa.select(schema.cliente.c.Telefono1, schema.cliente.c.Telefono2)
                           .where(schema.cliente.c.ClienteId == cliente)).one()
        phones = customer_phones(row.Telefono1, row.Telefono2)
        phone = phones[0][1] if phones else None
        message_store.record_outbound(conn, message_id=message_id, phone_e164=phone.e164 if phone else None,
                              phone_key=phone.key if phone else None, customer_id=cliente,
                              order_id=_order_of(conn, cliente), content=text,
                              sent_at=_ago(now, days=days, hours=hours))


def conversations(now: datetime) -> list[dict[str, Any]]:
    """Inbound messages and delivery statuses, as Event Grid delivers them."""
    juan, maria, valentina = "5491155551234", "5491144445678", "5493515551234"
    lucia, ruiz, agustin = "5491133332222", "5491122223333", "5491165432100"
    agustin_bsuid = "AR.13491208655302741918"
    e = acs_events
    return [
        e.received(juan, content="Hola, buenas tardes. Les dejé un Samsung A52 con la pantalla rota, "
                                 "¿saben cuánto saldría?", when=_ago(now, days=3)),
        e.received(juan, message_type="image", when=_ago(now, days=3, hours=-1),
                   media={"mimeType": "image/jpeg", "id": "demo-media-1", "caption": "Así quedó la pantalla"}),
        e.status("demo-out-juan-1", "Sent", to=juan, when=_ago(now, days=2, hours=20)),
        e.status("demo-out-juan-1", "Read", to=juan, when=_ago(now, days=2, hours=19)),
        e.status("demo-out-juan-1", "Delivered", to=juan, when=_ago(now, days=2, hours=19.5)),
        e.received(juan, content="Dale, avancen. ¿Puedo pasar el viernes a la tarde?", message_id="demo-in-juan-3",
                   when=_ago(now, days=2, hours=18), context={"from": juan, "id": "demo-out-juan-1"}),
        e.received(juan, message_type="reaction", when=_ago(now, days=2, hours=17),
                   reaction={"messageId": "demo-out-juan-1", "emoji": "👍"}),
        e.status("demo-out-maria-1", "Delivered", to=maria, when=_ago(now, days=1, hours=1)),
        e.received(maria, content="Hola! ¿Cómo viene la notebook? La necesito para el lunes 🙏",
                   when=_ago(now, hours=5)),
        e.received(maria, message_type="document", when=_ago(now, hours=4, minutes=50),
                   media={"mimeType": "application/pdf", "id": "demo-media-2", "fileName": "factura-compra.pdf",
                          "caption": "Les paso la factura por la garantía"}),
        e.status("demo-out-valentina-1", "Failed", to=valentina, when=_ago(now, days=1, hours=2),
                 error=("131047", "Re-engagement message: more than 24 hours have passed")),
        e.received(valentina, content="Buen día, ¿me mandan el presupuesto del celu?", when=_ago(now, days=6)),
        e.received(lucia, content="Hola, ¿ya está el presupuesto de la tablet?", when=_ago(now, days=1)),
        e.received(ruiz, content="Hola, soy de la familia Ruiz, ¿está lista la impresora?", when=_ago(now, days=2)),
        e.received(agustin, bsuid=agustin_bsuid, content="Hola, ¿recibieron la PlayStation?",
                   when=_ago(now, days=4)),
        e.received("", bsuid=agustin_bsuid, message_type="interactive", when=_ago(now, days=3),
                   interactive={"type": "buttonReply", "buttonReply": {"id": "aprobar", "title": "Apruebo"}}),
        e.received("", bsuid="AR.99999999999999999999", content="Hola, quiero consultar por un arreglo",
                   when=_ago(now, hours=30)),
        # the inbox: senders no customer matches (see RELATIVE, UNKNOWN)
        e.received(RELATIVE, content="Hola, soy Ana, la hija de Juan Pérez. ¿Está listo el celular de mi papá?",
                   when=_ago(now, hours=6)),
        e.received(RELATIVE, content="Lo paso a buscar yo, ¿hasta qué hora están?",
                   when=_ago(now, hours=5, minutes=50)),
        e.received(UNKNOWN, content="Buenas, dejé una notebook Lenovo a nombre de Martín López. ¿Novedades?",
                   when=_ago(now, hours=2)),
    ]


def demo_phone(name: str) -> str:
    """A demo customer's WhatsApp id by first name (for the simulate command and tests)."""
    for nombre, _apellido, tel1, tel2 in CUSTOMERS:
        if nombre == name:
            phones = customer_phones(tel1, tel2)
            if phones:
                return phones[0][1].whatsapp_id
    raise KeyError(name)

