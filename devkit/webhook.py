"""An Event Grid-like webhook in a thread: each posted event goes through ``ingest.ingest_event``.

For tests and benchmarks that run the ACS fake in process without the local runner: the fake posts
delivery statuses to it as Event Grid posts them to the Functions host (a JSON array; 500 when an
event raised, so the sender retries, as Event Grid does).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Webhook:
    def __init__(self, db_url: str) -> None:
        from shared import ingest

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                events = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                try:
                    for event in events:
                        ingest.ingest_event(event, db_url)
                    self.send_response(200)
                except Exception:  # a transient fault: the sender redelivers
                    self.send_response(500)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
