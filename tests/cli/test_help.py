"""Every ``--help`` reads like the rest of the CLI: no type names on flags or
lists, and usage lines without Typer's ``{name}`` placeholders."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from ssop.cli.main import app
from tests.cli import tree

PATHS = [path for path, _ in tree.nodes()]
BRACES = re.compile(r"\{[^}]*\}")


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "ssop")
def test_help_shows_no_type_names_or_brace_placeholders(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "<bool>" not in text and "<list" not in text, text
    (usage,) = [line for line in text.splitlines() if "Usage:" in line]
    assert not BRACES.search(usage), usage
    assert re.fullmatch(r" ?Usage: ssop[\w\- ]* \[OPTIONS\]( \S.*)?", usage.rstrip()), (
        usage
    )


def test_flags_and_counters_show_no_type_but_values_do() -> None:
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    assert re.search(r"--debug\s+Show tracebacks", text)
    assert re.search(r"--verbose\s+-v\s+\[default: 0\]", text)
    assert re.search(r"--config\s+<path>", text)
