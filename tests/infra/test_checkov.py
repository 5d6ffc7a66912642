"""checkov (static security checks) over infra/: no failed check, every skip justified.

checkov lives in its own virtual environment (.venv-checkov, installed by `make test` from
infra/requirements-checkov.txt) because its pins conflict with the app's dev tools. It runs
offline (--skip-download: no Prisma Cloud metadata).
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from typing import Any

from .conftest import INFRA, REPO_ROOT, bicep_files

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"//\s*checkov:skip=([A-Z0-9_]+):(.*)$")


@cache
def checkov_report() -> dict[str, Any]:
    assert CHECKOV.exists(), (
        f"{CHECKOV.relative_to(REPO_ROOT)} is missing: run `make test`, which installs checkov "
        "into .venv-checkov from infra/requirements-checkov.txt"
    )
    command = [
        str(CHECKOV),
        "-d",
        "infra",
        "--framework",
        "bicep",
        "--compact",
        "--skip-download",
        "-o",
        "json",
    ]
    # Exit code 1 only means "some check failed"; the report tells which.
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode in (0, 1), f"checkov failed to run ({result.returncode}):\n{result.stderr[-4000:]}"
    report = json.loads(result.stdout)
    if isinstance(report, list):  # one report per framework when several run
        (report,) = [r for r in report if r.get("check_type") == "bicep"]
    return report


def describe(check: dict[str, Any]) -> str:
    return (
        f"{check['check_id']} {check['check_name']}\n"
        f"    {check['file_path']}:{check['file_line_range']} {check['resource']}"
    )


def test_checkov_parses_every_bicep_file() -> None:
    summary = checkov_report()["summary"]
    assert summary["parsing_errors"] == 0, "checkov could not parse some Bicep files (they were not checked)"
    assert summary["resource_count"] > 0
    assert summary["passed"] > 0, "checkov checked nothing"


def test_checkov_reports_no_failed_check() -> None:
    report = checkov_report()
    failed = report["results"].get("failed_checks", [])
    assert not failed, (
        "checkov failed checks (fix them, or add a justified `// checkov:skip=ID:reason` in the resource):\n"
        + "\n".join(describe(check) for check in failed)
    )


def test_every_skip_is_justified_and_used() -> None:
    comments: dict[tuple[str, str], str] = {}
    for path in bicep_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = SKIP_COMMENT.search(line)
            if match:
                check_id, reason = match.group(1), match.group(2).strip()
                assert len(reason) >= 40, f"{path.name}: {check_id} needs a real justification, got {reason!r}"
                comments[("/" + path.relative_to(INFRA).as_posix(), check_id)] = reason
    skipped = {
        (check["file_path"], check["check_id"]) for check in checkov_report()["results"].get("skipped_checks", [])
    }
    # A skip comment that no check uses any more is stale and hides nothing: remove it.
    assert set(comments) == skipped, f"stale: {set(comments) - skipped}; unexpected: {skipped - set(comments)}"
