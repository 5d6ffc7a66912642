"""``python -m localrunner [serve|setup|simulate]``.

* ``setup``: create or migrate the database, load demo data into an empty one.
* ``serve`` (default): ``setup``, then serve the function app on ``HOST:PORT``.
* ``simulate NAME_OR_DIGITS TEXT``: post an incoming WhatsApp text, as Event Grid
  would, to a running runner.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

from devkit import acs_events, demo
from shared import config, identity, migrate


def setup() -> None:
    url = config.get("DATABASE_URL")
    version = migrate.migrate(url)
    loaded = demo.load(url)
    print(f"database {url} at schema version {version}; demo data {'loaded' if loaded else 'kept as is'}")


def serve() -> None:
    import uvicorn

    import function_app
    from localrunner.host import build

    setup()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "7071"))
    base = f"http://{host}:{port}"
    print(f"\n  Front end:        {base}/\n  Inbox:            {base}/inbox\n  Health:           {base}/api/health\n"
          f"  Staff API:        {base}/api/whatsapp/...  (OpenAPI: {base}/api/openapi.json)\n"
          f"  Event Grid:       {base}/runtime/webhooks/EventGrid?functionName=ingest_whatsapp_event\n"
          f"  MCP:              {base}/runtime/webhooks/mcp\n"
          f"  Run a timer now:  POST {base}/admin/functions/summarize_conversations\n", flush=True)
    uvicorn.run(build(function_app.app, timers=os.environ.get("TIMERS", "on") != "off"),
                host=host, port=port, log_level="warning")


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
    event = acs_events.received(sender, content=text)
    port = int(os.environ.get("PORT", "7071"))
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/runtime/webhooks/EventGrid?functionName=ingest_whatsapp_event",
        data=json.dumps([event]).encode(), method="POST",
        headers={"Content-Type": "application/json", "aeg-event-type": "Notification"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - a fixed http://127.0.0.1 URL
            print(f"HTTP {response.status}: event {event['id']} delivered")
    except urllib.error.HTTPError as exc:
        print(f"the runner answered HTTP {exc.code} for event {event['id']}", file=sys.stderr)
        return 1
    except urllib.error.URLError:
        print(f"no local runner answers on port {port}: start it with `make run` (PORT={port})", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrunner")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve")
    sub.add_parser("setup")
    sim = sub.add_parser("simulate", help="post an incoming WhatsApp text to the running runner")
    sim.add_argument("who", help="demo customer first name (e.g. Juan) or WhatsApp digits")
    sim.add_argument("text")
    args = parser.parse_args(argv)
    if args.command == "setup":
        setup()
    elif args.command == "simulate":
        return simulate(args.who, args.text)
    else:
        serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
