"""The realistic benchmark data set, built once and reused between runs.

100,000 customers whose phones are typed the Argentine ways, 50,000 orders (40% open),
1,000,000 messages of Spanish text spread over 15,000 conversations (about 67 each). The schema comes
from ``shared.migrate`` (the app's own definitions); rows are bulk-inserted with the
``sqlite3`` module, and the phone index is built by the app's own ``customer_phones``.

``python -m bench.dataset`` builds it (if missing) and prints how long that took.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

from shared import migrate
from shared.identity import WATERMARK, customer_phones, phones_hash

CACHE = Path(__file__).resolve().parent / ".cache"
VERSION = 9  # bump when the generator (or what it derives: phone keys, fingerprints, the schema) changes
CUSTOMERS, ORDERS, MESSAGES, CONVERSATIONS = 100_000, 50_000, 1_000_000, 15_000
EPOCH = datetime(2026, 1, 1)

NOMBRES = ("Juan", "María", "Carlos", "Lucía", "Martín", "Sofía", "Diego", "Valentina", "Javier", "Camila",
           "Pablo", "Florencia", "Agustín", "Micaela", "Nicolás", "Julieta", "Matías", "Rocío", "Santiago", "Ana")
APELLIDOS = ("Pérez", "González", "Rodríguez", "Fernández", "López", "Martínez", "Gómez", "Díaz", "Torres",
             "Ruiz", "Sánchez", "Romero", "Álvarez", "Benítez", "Acosta", "Medina", "Herrera", "Suárez")
INBOUND = ("Hola, ¿cómo viene el arreglo del celular?", "¿Cuánto saldría cambiar la pantalla?",
           "Buen día, ¿ya está listo? Paso a la tarde.", "Dale, avancen con el presupuesto.",
           "¿Aceptan transferencia o Mercado Pago?", "No prende desde ayer, ¿lo puedo llevar el lunes?",
           "Gracias! Nos vemos el viernes.", "¿Me pasan la dirección del local?")
OUTBOUND = ("Hola! Ya revisamos el equipo: el presupuesto es de $45.000.", "Tu equipo está listo para retirar.",
            "Estamos esperando el repuesto, llega el jueves.", "Te esperamos de 9 a 18 h en el local.")


def _phone_text(rng: random.Random, i: int) -> tuple[str | None, str | None]:
    subscriber = rng.randrange(10**8)  # random lines: about 50 shared numbers in 100,000, as in real books
    a, b = 1000 + subscriber // 10**4 % 9000, subscriber % 10**4
    forms = (f"11-{a}-{b}", f"011 15-{a}-{b}", f"15 {a} {b}", f"+54 9 11 {a} {b}", f"(011) 4{a % 1000:03d}-{b}",
             f"11{a}{b}", f"11 {a} {b} / 4{a % 1000:03d}-{b} casa", f"0351 15 {a % 1000:03d}-{b}")
    roll = rng.random()
    if roll < 0.04:
        return None, None
    if roll < 0.08:
        return "", forms[i % len(forms)]
    return forms[i % len(forms)], (f"11 6{a % 1000:03d}-{b}" if roll > 0.9 else None)


def path() -> Path:
    return CACHE / f"dataset-v{VERSION}.db"


def ensure() -> Path:
    """The cached data set, built if missing."""
    target = path()
    if not target.exists():
        build(target)
    return target


def build(target: Path) -> float:
    """Build the data set at ``target``; seconds taken."""
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    for stale in CACHE.glob("dataset-*"):
        stale.unlink()
    migrate.migrate(f"sqlite:///{tmp}")
    from shared import db

    db.dispose_all()
    rng = random.Random(2026)
    conn = sqlite3.connect(tmp, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    customers = [(i, rng.choice(NOMBRES), rng.choice(APELLIDOS), *_phone_text(rng, i)) for i in
                 range(1, CUSTOMERS + 1)]
    conn.executemany("INSERT INTO Cliente (ClienteId, Nombre, Apellido, Telefono1, Telefono2, Direccion) "
                     "VALUES (?, ?, ?, ?, ?, 'Calle falsa 123')", customers)
    conn.execute("INSERT INTO EstadoReparacion (Nombre) VALUES ('Ingresado')")
    index_rows = []
    keys: dict[int, tuple[str, str]] = {}
    stamp = EPOCH.isoformat(sep=" ")
    for cliente, _n, _a, tel1, tel2 in customers:
        for field, phone in customer_phones(tel1, tel2):
            index_rows.append((cliente, field, phone.key, phone.e164, phones_hash(tel1, tel2), stamp))
            keys.setdefault(cliente, (phone.key, phone.e164))
    conn.executemany("INSERT INTO WhatsAppCustomerPhone (ClienteId, SourceField, PhoneKey, E164, PhonesHash, "
                     "IndexedAt) VALUES (?, ?, ?, ?, ?, ?)", index_rows)
    conn.execute("INSERT INTO WhatsAppState VALUES (?, ?, ?)", (WATERMARK, str(CUSTOMERS), stamp))
    orders = []
    for order in range(1, ORDERS + 1):
        created = EPOCH + timedelta(minutes=order * 7)
        closed = rng.random() < 0.6
        orders.append((order, rng.randrange(1, CUSTOMERS + 1), created.isoformat(sep=" "),
                       (created + timedelta(days=9)).isoformat(sep=" ") if closed else None))
    conn.executemany("INSERT INTO Reparacion (ReparacionId, ClienteId, EmpleadoAsignadoId, TecnicoAsignadoId, "
                     "EstadoReparacionId, MarcaId, TipoDispositivoId, CreadoEn, ModificadoEn, FechaEntrega) "
                     "VALUES (?, ?, 1, 1, 1, 1, 1, ?, ?, ?)", [(o, c, t, t, f) for o, c, t, f in orders])
    conversations = [(o, c) for o, c, _t, _f in orders if c in keys][:CONVERSATIONS]
    raw = json.dumps({"eventType": "Microsoft.Communication.AdvancedMessageReceived", "data": {"x": "y" * 400}})

    def messages() -> object:
        for n in range(1, MESSAGES + 1):
            order, cliente = conversations[n % len(conversations)]
            key, e164 = keys[cliente]
            inbound = rng.random() < 0.6
            when = (EPOCH + timedelta(seconds=n * 30)).isoformat(sep=" ")
            yield (f"bench:{n}", f"wamid.b{n}", order, cliente, e164, key, "matched",
                   "inbound" if inbound else "outbound", "text",
                   rng.choice(INBOUND if inbound else OUTBOUND), when, when, when, raw if inbound else None, 0)

    conn.executemany(
        "INSERT INTO WhatsAppMessage (MessageKey, WhatsAppMessageId, ReparacionId, ClienteId, PhoneNumber, "
        "PhoneKey, MatchStatus, Direction, MessageType, Content, WhatsAppTimestamp, ReceivedAt, CreatedAt, "
        "RawPayload, RawTruncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", messages())  # type: ignore[arg-type]
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    tmp.rename(target)
    return time.perf_counter() - started


def working_copy(destination: Path) -> Path:
    """A private copy of the data set to mutate, brought to the app's schema (a data set cached before
    a migration added columns or tables gets them: nullable columns cost no rewrite), flushed to disk
    so that its write-back does not compete with the measurement that follows."""
    shutil.copyfile(ensure(), destination)
    from shared import db

    migrate.migrate(f"sqlite:///{destination}")
    db.dispose_all()
    os.sync()
    return destination


if __name__ == "__main__":
    if path().exists():
        print(f"data set already built: {path()}")
    else:
        print(f"built {path()} in {build(path()):.1f} s")
