"""Shared helpers of the infrastructure tests: paths and the parsed Bicep files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA = REPO_ROOT / "infra"

# shared.config (the SETTINGS table) lives at the repository root.
if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@pytest.fixture(scope="session")
def bicep() -> dict[str, dict[str, Any]]:
    """Every .bicep file under infra/, parsed by pycep, keyed by its path relative to infra/."""
    from pycep import BicepParser

    parser = BicepParser()
    parsed: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    for path in bicep_files():
        try:
            parsed[path.relative_to(INFRA).as_posix()] = parser.parse(file_path=path)
        except Exception as exc:  # pycep raises lark errors of several kinds
            failures.append(f"{path.relative_to(REPO_ROOT)}: {exc}")
    assert not failures, "Bicep files pycep cannot parse:\n" + "\n".join(failures)
    return parsed
