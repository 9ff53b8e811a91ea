"""``ssop docs man`` stays in step with ``--help``: the same commands, and for
each the same options and the first line of its help."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from ssop.cli.main import app
from tests.cli.conftest import Cli

LONG_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def commands(group: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        if hasattr(command, "list_commands"):
            sub = command.make_context(name, [], parent=ctx, resilient_parsing=True)
            yield from commands(command, sub, (*path, name))
        else:
            yield (*path, name)


def every_command() -> list[tuple[str, ...]]:
    root = typer.main.get_command(app)
    ctx = root.make_context("ssop", [], resilient_parsing=True)
    return list(commands(root, ctx, ()))


def plain(roff: str) -> str:
    return roff.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")


def sections(page: str) -> dict[tuple[str, ...], str]:
    parts = re.split(r'^\.SS "ssop ([^"]+)"$', plain(page), flags=re.M)
    return {
        tuple(name.split()): body
        for name, body in zip(parts[1::2], parts[2::2], strict=True)
    }


@pytest.fixture(scope="module")
def page() -> str:
    result = CliRunner().invoke(app, ["docs", "man"])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_page_documents_every_command_and_nothing_else(page: str) -> None:
    assert set(sections(page)) == set(every_command())
    assert page.startswith(".TH SSOP 1 ")
    for heading in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "EXIT STATUS"):
        assert f"\n.SH {heading}\n" in page


def test_each_command_has_the_options_and_summary_its_help_shows(page: str) -> None:
    documented = sections(page)
    runner = CliRunner()
    for path in every_command():
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, (path, shown.stderr)
        section = documented[path]
        assert set(LONG_OPTION.findall(shown.stdout)) == set(
            LONG_OPTION.findall(section)
        ), path
        summary = section.split("\n.PP\n", 1)[1].splitlines()[0]
        assert " ".join(summary.split()[:4]) in " ".join(shown.stdout.split()), path


def test_man_renders_the_page_without_warnings(cli: Cli, tmp_path: Any) -> None:
    if shutil.which("man") is None:  # the checks above stand in
        return
    path = tmp_path / "ssop.1"
    assert cli("docs", "man", "--output", str(path)).exit_code == 0
    done = subprocess.run(
        ["man", "--warnings", "-l", str(path)],
        capture_output=True,
        text=True,
        env={"MANWIDTH": "100", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "ssop server import" in done.stdout
