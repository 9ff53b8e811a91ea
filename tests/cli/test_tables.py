"""Tables keep identifiers whole: other columns wrap, pipes get full width."""

from __future__ import annotations

import re

import pytest

from tests.cli.conftest import Cli

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

NAME = "web-frontend-eu-west-1-production-0001"
TAGS = [f"tag{i}-of-a-long-list" for i in range(6)]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def servers(cli: Cli) -> None:
    tags = [arg for tag in TAGS for arg in ("--tag", tag)]
    for name in (NAME, NAME.replace("0001", "0002")):
        result = cli("server", "add", name, "--local", *tags)
        assert result.exit_code == 0, result.stderr


def test_a_narrow_terminal_wraps_other_columns_and_never_cuts_a_name(
    admin_cli: Cli,
) -> None:
    servers(admin_cli)
    result = admin_cli("server", "list", COLUMNS="40", TTY_COMPATIBLE="1", NO_COLOR="1")
    assert result.exit_code == 0, result.stderr
    lines = ANSI.sub("", result.stdout).splitlines()
    assert "…" not in result.stdout
    assert sum(NAME in line for line in lines) == 1
    assert sum(NAME.replace("0001", "0002") in line for line in lines) == 1
    row = next(i for i, line in enumerate(lines) if NAME in line)
    assert TAGS[-1] not in lines[row]  # the tags wrapped onto the next lines
    assert any(TAGS[-1] in line for line in lines[row + 1 :])


def test_without_a_terminal_every_row_is_one_line_whatever_columns_says(
    admin_cli: Cli,
) -> None:
    servers(admin_cli)
    result = admin_cli("server", "list", COLUMNS="40")
    assert result.exit_code == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "production" in line]
    assert len(rows) == 2
    assert all(", ".join(sorted(TAGS)) in row for row in rows)
    assert "\x1b[" not in result.stdout
