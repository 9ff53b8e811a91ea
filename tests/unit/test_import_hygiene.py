"""ssop.core and the daemon never load a CLI/TUI library; --help stays light.

import-linter checks the import statements; these check what actually ends
up in ``sys.modules``, lazy imports included.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ssop.core
import ssop.daemon

FORBIDDEN = ("typer", "click", "textual", "rich", "ssop.cli", "ssop.tui", "ssop.daemon")
DAEMON_FORBIDDEN = ("typer", "click", "textual", "rich", "ssop.cli", "ssop.tui")


def core_modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(ssop.core.__path__, "ssop.core.")
        if ".migrations" not in m.name
    )


def loaded_after_import(module: str, probe: tuple[str, ...]) -> list[str]:
    code = (
        f"import sys, {module}\n"
        f"print(','.join(m for m in sys.modules if m.split('.')[0] in {probe!r} "
        f"or m in {probe!r} or m.startswith(tuple(p + '.' for p in {probe!r}))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return [m for m in out.stdout.strip().split(",") if m]


def test_core_module_list_is_not_empty() -> None:
    assert "ssop.core.config.loader" in core_modules()


@pytest.mark.parametrize("module", core_modules())
def test_core_module_imports_no_shell_library(module: str) -> None:
    assert loaded_after_import(module, FORBIDDEN) == []


def test_the_daemon_loads_no_cli_or_tui_library() -> None:
    modules = sorted(
        m.name for m in pkgutil.walk_packages(ssop.daemon.__path__, "ssop.daemon.")
    )
    assert loaded_after_import(", ".join(modules), DAEMON_FORBIDDEN) == []


def test_cli_entry_does_not_import_heavy_libraries() -> None:
    heavy = ("textual", "openai", "fabric", "paramiko", "sqlalchemy", "sqlmodel")
    assert loaded_after_import("ssop.cli.main", (*heavy, "typer")) == []
    assert loaded_after_import("ssop.cli.app", heavy) == []


def test_no_module_imports_click_directly() -> None:
    """typer vendors its own click; a direct import only works where some dev
    tool happened to install click, and fails in a user's fresh install."""
    import ast
    from pathlib import Path

    offenders = []
    for path in Path(ssop.core.__path__[0]).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "click"]
    assert offenders == []
