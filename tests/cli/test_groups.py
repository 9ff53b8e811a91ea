"""The command table in ``cli/groups.py``: every row loads, and says what its
command says, so ``ssop --help`` (which imports no command module) is true."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import ssop.cli
from ssop.cli.groups import COMMANDS, Entry
from ssop.cli.lazy import load
from ssop.cli.main import app


def first_paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda e: e.name)
def test_each_row_loads_its_command_with_the_same_help_line(entry: Entry) -> None:
    command = load(entry)
    assert command.name == entry.name
    assert isinstance(command, TyperGroup) or not entry.is_group
    assert first_paragraph(command.help) == entry.help


def test_names_are_unique() -> None:
    names = [entry.name for entry in COMMANDS]
    assert len(names) == len(set(names))


def test_every_command_module_is_in_the_table() -> None:
    """A ``*_cmd`` module with an ``app`` of its own needs a row; one without
    (a command another module's app registers) is found through that app."""
    modules = {
        m.name
        for m in pkgutil.iter_modules(ssop.cli.__path__)
        if m.name.endswith("_cmd")
        and hasattr(importlib.import_module(f"ssop.cli.{m.name}"), "app")
    }
    assert modules == {entry.module for entry in COMMANDS}


def test_every_top_level_command_of_a_module_has_a_row() -> None:
    """A module adding a second top-level command needs a row for it too."""
    listed = {(e.module, e.name) for e in COMMANDS}
    for module in {e.module for e in COMMANDS if not e.is_group}:
        app_ = importlib.import_module(f"ssop.cli.{module}").app
        for name in typer.main.get_group(app_).commands:
            assert (module, name) in listed, f"{module}: {name} has no row"


def test_help_lists_every_row_with_its_help_line() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    for entry in COMMANDS:
        assert any(entry.name in line and entry.help in line for line in lines), (
            entry.name
        )


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "no-such-command" in result.stderr


def command_modules_after(*args: str) -> list[str]:
    """The ``ssop.cli.*_cmd`` modules a fresh ``ssop ARGS`` imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['ssop', *{list(args)!r}]\n"
        "from ssop.cli.main import run\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print('MODULES', *sorted(m for m in sys.modules if m.endswith('_cmd')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    (line,) = [x for x in out.stdout.splitlines() if x.startswith("MODULES")]
    return line.split()[1:]


def test_help_imports_no_command_module() -> None:
    assert command_modules_after("--help") == []


def test_a_group_imports_its_own_module_alone() -> None:
    assert command_modules_after("server", "--help") == ["ssop.cli.server_cmd"]
