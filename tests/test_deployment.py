"""The deployed package (the repo minus ``.funcignore``) holds, and imports, only what runs in Azure.

Azure builds ``requirements.txt`` remotely; anything the deployed code imports from a
dev-only package (the local runner, the tests, the benchmarks, ``devkit``) or from a
dev-only dependency (``requirements-dev.txt``) would fail there, at start-up or, for an
import inside a function, on the first call. Two checks: every ``import`` statement of
every deployed file (function bodies included) names a deployed module, the standard
library or a distribution ``requirements.txt`` installs; and the deployed files, copied
alone into an empty folder, import with the dev-only packages blocked.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from tests.conftest import ROOT

DEV_ONLY = ("devkit", "ops", "localrunner", "tests", "bench", "starlette", "uvicorn", "mcp", "httpx", "hypothesis",
            "schemathesis", "pytest", "croniter", "matplotlib", "pycep", "azure.eventgrid")


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for raw in patterns:
        pattern = raw.rstrip("/")
        if "/" in pattern:
            if any(fnmatch.fnmatch("/".join(parts[:i]), pattern.lstrip("/")) for i in range(1, len(parts) + 1)):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def deployed_files() -> list[str]:
    """What ``func azure functionapp publish`` / ``azd deploy`` upload: the tracked and untracked (not
    git-ignored) files of the repo that ``.funcignore`` does not exclude."""
    patterns = [line.strip() for line in (ROOT / ".funcignore").read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return sorted(f for f in listed if (ROOT / f).is_file() and not _ignored(f, patterns))


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def _requirement_names(path: Path) -> list[str]:
    return [re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0]
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith(("#", "-"))]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_by_requirements() -> set[str]:
    """The distributions ``requirements.txt`` installs, with their dependencies."""
    todo, seen = [_normal(n) for n in _requirement_names(ROOT / "requirements.txt")], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [_normal(re.split(r"[=<>!~\[; (]", r, maxsplit=1)[0]) for r in requires if "extra ==" not in r]
    return seen


def _distribution(module: str) -> str | None:
    """The installed distribution that provides ``module`` (namespace packages: the longest match)."""
    parts = module.split(".")
    for k in range(len(parts), 0, -1):  # azure.communication.messages -> azure-communication-messages
        try:
            return _normal(metadata.distribution("-".join(parts[:k])).metadata["Name"])
        except metadata.PackageNotFoundError:
            continue
    providers = metadata.packages_distributions().get(parts[0], [])
    return _normal(providers[0]) if len(providers) == 1 else None


def test_the_deployed_package_holds_the_app_and_no_dev_code() -> None:
    files = deployed_files()
    assert "function_app.py" in files and "host.json" in files and "requirements.txt" in files
    assert any(f.startswith("shared/") for f in files)
    leaked = [f for f in files if f.split("/")[0] in {"devkit", "localrunner", "tests", "bench", "frontend"}]
    assert leaked == []


def test_deployed_code_imports_only_deployed_modules_stdlib_and_requirements() -> None:
    files = [f for f in deployed_files() if f.endswith(".py")]
    local = {f.split("/")[0].removesuffix(".py") for f in files}
    allowed = _installed_by_requirements()
    problems = []
    for file in files:
        for module in sorted(_imports((ROOT / file).read_text(encoding="utf-8"))):
            top = module.split(".")[0]
            if any(module == d or module.startswith(d + ".") for d in DEV_ONLY):
                problems.append(f"{file}: imports dev-only {module}")
            elif top in local or top in sys.stdlib_module_names or top == "__future__":
                continue
            elif _distribution(module) not in allowed:
                problems.append(f"{file}: imports {module}, which requirements.txt does not install")
    assert problems == []


def test_the_text_module_is_pure() -> None:
    """``shared/text.py`` is the bottom layer: the standard library and the settings, nothing else."""
    tree = ast.parse((ROOT / "shared" / "text.py").read_text(encoding="utf-8"))
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            used.update(f"{node.module}.{alias.name}" for alias in node.names)
    outside_stdlib = {name for name in used if name.split(".")[0] not in sys.stdlib_module_names}
    assert outside_stdlib == {"shared.config"}


_BLOCKER = """
import importlib.abc, sys
DEV_ONLY = {dev_only!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == d or name.startswith(d + ".") for d in DEV_ONLY):
            raise ImportError("dev-only module imported by the deployed package: " + name)
        return None
sys.meta_path.insert(0, Block())
import function_app, pkgutil, importlib, shared
for module in pkgutil.iter_modules(shared.__path__):
    importlib.import_module("shared." + module.name)
print("ok", len(function_app.app.get_functions()))
"""


def test_the_deployed_files_alone_import_with_dev_packages_blocked(tmp_path: Path) -> None:
    for file in deployed_files():
        target = tmp_path / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / file, target)
    done = subprocess.run([sys.executable, "-c", _BLOCKER.format(dev_only=DEV_ONLY)], cwd=tmp_path, check=False,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")
    assert int(done.stdout.split()[1]) >= 10  # every function was indexed
