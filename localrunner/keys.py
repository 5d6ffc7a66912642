"""The Functions host's access keys, held by the local runner as Azure holds them.

In Azure every endpoint of a function app but the anonymous ones asks for a key, and
which key depends on the endpoint:

* an HTTP function of auth level ``FUNCTION``: a function key (here ``FUNCTIONS_KEY``,
  the app's default host key) or the master key;
* an HTTP function of auth level ``ADMIN`` and the admin API (``/admin/*``): the master
  key only (``FUNCTIONS_MASTER_KEY``);
* the Event Grid webhook (``/runtime/webhooks/eventgrid``): the ``eventgrid_extension``
  system key in ``code=`` (``EVENTGRID_EXTENSION_KEY``), or the master key;
* the MCP endpoint (``/runtime/webhooks/mcp``): the ``mcp_extension`` system key
  (``MCP_EXTENSION_KEY``) in the header ``x-functions-key`` or in ``code=``, or the master key.

A key is presented in the header ``x-functions-key`` or the query parameter ``code``; a
missing or wrong key is answered 401 with no body, as the host does.

Where the keys come from: each setting above, or else ``keys.json`` beside the embedded
database (``.data/`` by default), which ``python -m localrunner setup`` writes once with
random keys. ``FUNCTIONS_KEYS=off`` turns every check off, as ``func start`` does.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from localrunner.functions import ROOT
from shared import config

SETTINGS: Mapping[str, str] = {  # key name (as `az functionapp keys list` shows it) -> setting
    "default": "FUNCTIONS_KEY",
    "master": "FUNCTIONS_MASTER_KEY",
    "eventgrid_extension": "EVENTGRID_EXTENSION_KEY",
    "mcp_extension": "MCP_EXTENSION_KEY",
}


def data_dir() -> Path:
    """Where the runner keeps its own files: beside the embedded SQLite database (``.data/``)."""
    url = sa.make_url(config.get("DATABASE_URL"))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        return (path if path.is_absolute() else ROOT / path).parent
    return ROOT / ".data"


def _secret_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def stored_keys(create: bool = True) -> dict[str, str]:
    """The keys in ``keys.json`` (written with random keys when missing and ``create``)."""
    path = data_dir() / "keys.json"
    if not path.exists():
        if not create:
            return {}
        with contextlib.suppress(FileExistsError):  # another process wrote it first
            _secret_file(path, json.dumps({name: secrets.token_urlsafe(32) for name in SETTINGS}, indent=2))
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


@dataclass(frozen=True)
class Keys:
    enforced: bool
    values: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    def accepts(self, presented: str | None, *names: str) -> bool:
        """Whether ``presented`` is one of the keys ``names`` or the master key (always when not enforced)."""
        if not self.enforced:
            return True
        if not presented:
            return False
        given = presented.encode()
        return any(hmac.compare_digest(given, self.values[name].encode()) for name in {*names, "master"})


def load(create: bool = True) -> Keys:
    """The runner's keys: settings first, then ``keys.json``; ``FUNCTIONS_KEYS=off`` enforces none."""
    enforced = os.environ.get("FUNCTIONS_KEYS", "on").strip().lower() != "off"
    stored = stored_keys(create) if enforced and not all(os.environ.get(s) for s in SETTINGS.values()) else {}
    values = {name: (os.environ.get(setting) or "").strip() or stored.get(name, "")
              for name, setting in SETTINGS.items()}
    if enforced and not all(values.values()):
        missing = ", ".join(SETTINGS[n] for n, v in values.items() if not v)
        raise RuntimeError(f"no value for {missing}: run `python -m localrunner setup` or set them")
    return Keys(enforced, values)


def presented(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key a request carries: header ``x-functions-key``, else query ``code``."""
    return headers.get("x-functions-key") or query.get("code")
