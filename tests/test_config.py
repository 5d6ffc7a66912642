"""The configuration table in the README, local.settings.json.example and shared/config.py agree."""

from __future__ import annotations

import json

from shared.config import SETTINGS
from tests.conftest import ROOT


def test_every_setting_is_in_the_readme_table_with_its_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        default = f"`{setting.default}`" if setting.default else "(empty)"
        assert f"| `{setting.name}` | {default} |" in readme, setting.name


def test_local_settings_example_lists_every_setting_with_its_default() -> None:
    values = json.loads((ROOT / "local.settings.json.example").read_text(encoding="utf-8"))["Values"]
    assert {s.name: s.default for s in SETTINGS}.items() <= values.items()
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    assert values["PYTHON_ISOLATE_WORKER_DEPENDENCIES"] == "1"


def test_code_reads_only_documented_settings() -> None:
    import re

    documented = {s.name for s in SETTINGS}
    for path in [ROOT / "function_app.py", *(ROOT / "shared").glob("*.py")]:
        for name in re.findall(r"config\.get(?:_int|_float)?\(\"(\w+)\"\)", path.read_text(encoding="utf-8")):
            assert name in documented, f"{path.name} reads undocumented {name}"
