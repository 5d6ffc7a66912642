"""``python -m localrunner [serve|setup|simulate|token]``.

* ``setup``: create or migrate the database, load demo data into an empty one, and write
  the runner's keys (``keys.json``) and the demo issuer's signing key and JWKS beside the
  database (``.data/``) when missing.
* ``serve`` (default): ``setup``, then serve the function app on ``HOST:PORT``.
* ``simulate NAME_OR_DIGITS TEXT``: post an incoming WhatsApp text, as Event Grid
  would (with the ``eventgrid_extension`` key), to a running runner.
* ``token [USER]``: print a bearer token of the demo issuer for a demo staff member
  (``ana``, ``bruno``), e.g. ``curl -H "Authorization: Bearer $(python -m localrunner token)"``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

from devkit import acs_events, demo
from shared import config, identity, migrate


def setup() -> None:
    from localrunner import demo_issuer, keys

    url = config.get("DATABASE_URL")
    version = migrate.migrate(url)
    loaded = demo.load(url, notifications=True)
    keys.stored_keys(create=True)
    demo_issuer.demo_private_key(create=True)
    print(f"database {url} at schema version {version}; demo data {'loaded' if loaded else 'kept as is'}; "
          f"keys and demo issuer in {keys.data_dir()}")


def serve() -> None:
    import uvicorn

    import function_app
    from localrunner import acs, demo_issuer, keys
    from localrunner.host import build

    setup()
    storage, storage_ready = _start_storage()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7071"))
    base = f"http://{host}:{port}"
    host_keys = keys.load()
    asgi = build(function_app.app, timers=os.environ.get("TIMERS", "on") != "off", host_keys=host_keys)
    if host_keys.enforced:
        code = host_keys["eventgrid_extension"]
        keys_text = (f"  Keys (x-functions-key or ?code=), from the settings or {keys.data_dir() / 'keys.json'}:\n"
                     f"    function key  {host_keys['default']}\n    master key    {host_keys['master']}\n"
                     f"    mcp_extension {host_keys['mcp_extension']}\n")
    else:
        code, keys_text = "", "  Keys:             off (FUNCTIONS_KEYS=off)\n"
    if not demo_issuer.sign_in_required():
        sign_in = "off (STAFF_SIGN_IN=off): staff routes answer without a token"
    elif os.environ.get("STAFF_AUTH_ISSUER", "") != demo_issuer.DEMO_ISSUER:
        sign_in = f"bearer tokens of tenant {os.environ.get('STAFF_AUTH_TENANT_ID', '')} (STAFF_AUTH_*)"
    else:
        sign_in = (f"demo issuer; a token: GET {base}{demo_issuer.TOKEN_ROUTE}?user=ana|bruno "
                   "or `python -m localrunner token ana`")
    webhook = f"{base}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event{'&code=' + code if code else ''}"
    with contextlib.ExitStack() as stack:
        fake = acs.start_fake(stack, webhook)  # before the app handles a request: it points the settings at it
        if storage_ready:
            storage += _demo_media(fake)
        sending = (f"local ACS fake {fake.endpoint} (FAKE_ACS=off to disable; replies go out through it)"
                   if fake else "ACS as configured" if acs.real_acs_configured() else "not configured")
        print(f"\n  Front end:        {base}/\n  Inbox:            {base}/inbox\n"
              f"  Health:           {base}/api/health\n"
              f"  Staff API:        {base}/api/whatsapp/...  (OpenAPI: {base}/api/openapi.json)\n"
              f"  Staff sign-in:    {sign_in}\n"
              f"  Event Grid:       {webhook}\n"
              f"  MCP:              {base}/runtime/webhooks/mcp  (header x-functions-key: the mcp_extension key)\n"
              f"  Sending:          {sending}\n"
              f"  Run a timer now:  POST {base}/admin/functions/summarize_conversations  (the master key)\n"
              f"{keys_text}"
              f"  Media storage:    {storage}\n", flush=True)
        # uvicorn (0.29+) re-raises the SIGTERM it caught once it has shut down; Python's default action would end
        # the process right there, before the ``finally`` that stops the Azurite this process started
        signal.signal(signal.SIGTERM, _exit_on_signal)
        try:
            uvicorn.run(asgi, host=host, port=port, log_level="warning")
        finally:
            for emulator in _emulators:
                emulator.stop()


_emulators: list[Any] = []  # the Azurite this process started, stopped when serving ends


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _start_storage() -> tuple[str, bool]:
    """Media storage (issue 16): start Azurite when the media connection is the local emulator and nothing
    listens on its ports yet (data in .data/azurite); create the container and queue. What to print, and
    whether the storage is ready."""
    from devkit import storage_emulator
    from shared import media_storage

    if media_storage.identity_based():
        return "Azure Storage (identity-based)", False
    ports = storage_emulator.development_storage_ports(config.get("MEDIA_STORAGE"))
    if ports is None:
        where = "connection string MEDIA_STORAGE"
    elif storage_emulator.listening(ports[0]):
        where = f"Azurite already running on 127.0.0.1:{ports[0]}/{ports[1]}"
    elif os.environ.get("AZURITE", "on") == "off":
        return f"Azurite not started (AZURITE=off); nothing listens on 127.0.0.1:{ports[0]}", False
    else:
        emulator = storage_emulator.Azurite(storage_emulator.ROOT / ".data" / "azurite", *ports)
        try:
            emulator.start()
        except Exception as exc:  # the app still serves; media downloads wait and retry
            return f"Azurite failed to start ({exc}); media downloads will retry", False
        _emulators.append(emulator)
        where = f"Azurite on 127.0.0.1:{ports[0]} (blob) / {ports[1]} (queue), data in .data/azurite"
    try:
        media_storage.ensure_created()
    except Exception as exc:
        return f"{where}; container/queue not created ({type(exc).__name__})", False
    return where, True


def _demo_media(fake: Any) -> str:
    """The demo's photo and PDF: downloaded from the local ACS fake as a customer's media is in Azure (the real
    SDK over the fake's HTTPS, ``ACS_CA_BUNDLE``); without the fake (``FAKE_ACS=off`` or a real ACS, which does
    not have the demo's media ids), stored directly. What to print."""
    from devkit import demo_media

    try:
        if fake is None:
            return f"; demo media stored directly ({len(demo_media.store())} new)"
        outcomes = demo_media.download_from(fake)
    except Exception as exc:  # the app still serves; the sweeper retries pending items
        return f"; demo media not stored ({type(exc).__name__})"
    return f"; demo media downloaded from the ACS fake ({', '.join(sorted(outcomes.values())) or 'none pending'})"


def simulate(who: str, text: str) -> int:
    if who.isdigit():
        sender = who
    else:
        try:
            sender = demo.demo_phone(who)
        except KeyError:
            names = ", ".join(c[0] for c in demo.CUSTOMERS if identity.customer_phones(c[2], c[3]))
            print(f"'{who}' is not a demo customer with a phone; use one of {names}, or WhatsApp digits",
                  file=sys.stderr)
            return 2
    from localrunner import acs, keys

    through_fake = acs.simulate_inbound(sender, text)
    if through_fake is not None:  # the fake knows the customer wrote (its window) and posts the event
        print(f"event {through_fake} posted by the local ACS fake")
        return 0
    event = acs_events.received(sender, content=text)
    port = int(os.environ.get("PORT", "7071"))
    host_keys = keys.load(create=False)
    code = f"&code={host_keys['eventgrid_extension']}" if host_keys.enforced else ""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/runtime/webhooks/eventgrid?functionName=ingest_whatsapp_event{code}",
        data=json.dumps([event]).encode(), method="POST",
        headers={"Content-Type": "application/json", "aeg-event-type": "Notification"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a fixed http://127.0.0.1 URL
            print(f"HTTP {response.status}: event {event['id']} delivered")
    except urllib.error.HTTPError as exc:
        hint = " (wrong key: is the runner using other keys than this shell's settings?)" if exc.code == 401 else ""
        print(f"the runner answered HTTP {exc.code} for event {event['id']}{hint}", file=sys.stderr)
        return 1
    except urllib.error.URLError:
        print(f"no local runner answers on port {port}: start it with `make run` (PORT={port})", file=sys.stderr)
        return 1
    return 0


def token(user: str) -> int:
    from localrunner import demo_issuer

    if demo_issuer.tenant_configured() and os.environ.get("STAFF_AUTH_ISSUER", "") != demo_issuer.DEMO_ISSUER:
        print("STAFF_AUTH_TENANT_ID / STAFF_AUTH_ISSUER name a real issuer: tokens come from it, not from the "
              "runner's demo issuer", file=sys.stderr)
        return 2
    try:
        text, _staff, _expires = demo_issuer.issue_demo_token(user)
    except KeyError:
        users = ", ".join(s.user for s in demo_issuer.DEMO_STAFF)
        print(f"'{user}' is not a demo staff member; use one of {users}", file=sys.stderr)
        return 2
    print(text)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrunner")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve")
    sub.add_parser("setup")
    sim = sub.add_parser("simulate", help="post an incoming WhatsApp text to the running runner")
    sim.add_argument("who", help="demo customer first name (e.g. Juan) or WhatsApp digits")
    sim.add_argument("text")
    tok = sub.add_parser("token", help="print a demo staff member's bearer token (demo issuer)")
    tok.add_argument("user", nargs="?", default="ana", help="ana or bruno")
    args = parser.parse_args(argv)
    if args.command == "setup":
        setup()
    elif args.command == "simulate":
        return simulate(args.who, args.text)
    elif args.command == "token":
        return token(args.user)
    else:
        serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
