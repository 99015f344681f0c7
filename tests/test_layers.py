"""Layers point one way: knowledge <- federation <- dialogs <- bot <- adapters.

Each package may import only the layers below it; botbuilder only in the Teams adapter,
slack-bolt / slack_sdk only in the Slack adapter. Read from the source (ast), so a lazy import
inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> the first-party packages it must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "knowledge": ("federation", "dialogs", "bot", "adapters"),
    "federation": ("dialogs", "bot", "adapters"),
    "dialogs": ("bot", "adapters"),
    "bot": ("adapters",),
}
# The composition root: the server mounts the adapters it serves.
COMPOSITION_ROOT = {"bot/server.py"}
# third-party package -> the only tree allowed to import it
CONFINED: dict[str, str] = {
    "botbuilder": "adapters/teams",
    "botframework": "adapters/teams",
    "slack_bolt": "adapters/slack",
    "slack_sdk": "adapters/slack",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_lower_layers(package: str) -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(package)
        for name in _imports(path)
        if name in FORBIDDEN[package] and str(path.relative_to(ROOT)) not in COMPOSITION_ROOT
    ]
    assert not bad, bad


@pytest.mark.parametrize("library", sorted(CONFINED))
def test_platform_library_only_in_its_adapter(library: str) -> None:
    allowed = ROOT / CONFINED[library]
    bad = [
        str(path.relative_to(ROOT))
        for package in ("knowledge", "federation", "dialogs", "bot", "adapters")
        for path in _sources(package)
        if library in _imports(path) and allowed not in path.parents
    ]
    assert not bad, bad
