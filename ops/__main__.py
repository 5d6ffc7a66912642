"""``python -m ops import-chats DIR --shop NAME``: import many WhatsApp chat exports at once.

Operators bring the exports of every chat on the shop's phones (``.txt`` or ``.zip``, as WhatsApp
names them: "Chat de WhatsApp con +54 9 11 5555-1234.txt") to one folder; each is imported through
the same use case as the panel's upload (:func:`shared.history_import.import_export`), so every
rule holds: the customer from the phone in the name (never guessed: a file whose customer is not
known is reported and skipped), live twins kept once, the same file twice adds nothing, a failed
file resumes when the command runs again. It talks to the database of ``DATABASE_URL``, so it runs
against production the way the app does (Entra ID for SQL Server).

Output is one line per file and a total; the exit status is 1 when any file was not imported.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TextIO

from shared import chat_export, history_import
from shared.errors import ApiError
from shared.staff import Staff

EXPORTS = (".txt", ".zip")


def import_chats(folder: Path, shop: str, *, by: str | None, dry_run: bool, customer_id: int | None,
                 url: str | None = None, out: TextIO | None = None) -> int:
    """Import (or, with ``dry_run``, preview) every export in ``folder``; how many files failed."""

    def write(line: str) -> None:
        print(line, file=out or sys.stdout)

    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORTS)
    if not files:
        write(f"No hay exportaciones (.txt o .zip) en {folder}.")
        return 0
    operator = by or getpass.getuser()
    staff = Staff(id=f"ops:{getpass.getuser()}"[:64], name=operator[:200])
    failed = added = 0
    for path in files:
        try:
            if dry_run:
                seen = history_import.preview(path.name, path, customer_id=customer_id, url=url,
                                              max_bytes=chat_export.MAX_ZIP_BYTES)
                who = seen["customer"]
                names = ", ".join(f"{p['name']} ({p['messages']})" for p in seen["participants"])
                where = f"cliente #{who['customerId']}" if who else f"sin cliente: {seen['customerProblem']}"
                write(f"VISTA  {path.name}: {seen['messages']} mensajes, {names}; {where}")
                failed += who is None or shop not in [p["name"] for p in seen["participants"]]
                continue
            result = history_import.import_export(path.name, path, shop_participant=shop, customer_id=customer_id,
                                                  staff=staff, via="cli", url=url,
                                                  max_bytes=chat_export.MAX_ZIP_BYTES)
        except ApiError as error:
            failed += 1
            candidates = error.extensions.get("candidates")
            extra = f" (clientes: {', '.join(str(c['customerId']) for c in candidates)})" if candidates else ""
            detail = error.detail
            if error.extensions.get("parameter") == "shopParticipant":
                authors = chat_export.participants(history_import.read(path.name, path, chat_export.MAX_ZIP_BYTES)
                                                   .export.messages)
                detail = f"--shop no es ninguno de los participantes del chat ({', '.join(authors)})."
            write(f"ERROR  {path.name}: {detail}{extra}")
            continue
        added += result["addedNow"]
        state = "YA ESTABA" if result["alreadyImported"] else "OK"
        files_note = result["attachments"]
        stored = (f", archivos: {files_note['stored']} guardados, {files_note['failed']} fallidos, "
                  f"{files_note['pending']} pendientes" if any(files_note.values()) else "")
        write(f"{state:<6} {path.name}: cliente #{result['customerId']}, {result['addedNow']} agregados, "
              f"{result['alreadyStored']} ya guardados, {result['duplicatesOfLive']} ya recibidos por ACS{stored}")
    write(f"{len(files)} archivos, {failed} con error, {added} mensajes agregados.")
    return failed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops")
    sub = parser.add_subparsers(dest="command", required=True)
    chats = sub.add_parser("import-chats", help="import every WhatsApp chat export (.txt/.zip) of a folder")
    chats.add_argument("folder", type=Path)
    chats.add_argument("--shop", required=True, help="the shop's name as the exports write it (its messages' author)")
    chats.add_argument("--by", help="who is importing (recorded with each import; default: the system user)")
    chats.add_argument("--customer-id", type=int, help="every file is this customer's chat (else: the phone in "
                                                       "each file's name)")
    chats.add_argument("--dry-run", action="store_true", help="only show what each file holds and whose it is")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder} no es una carpeta.", file=sys.stderr)
        return 2
    failed = import_chats(args.folder, args.shop, by=args.by, dry_run=args.dry_run, customer_id=args.customer_id)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
