"""Without a terminal, a command that would ask refuses at once, naming the flag.

CliRunner's stdin is no terminal; the last test runs ``ssop`` as a process
whose stdin is an open pipe nobody writes to, where a prompt would hang.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

ASKING = [
    (("login",), "use --username"),
    (("login", "--username", "sysadmin"), "use --password-stdin"),
    (("user", "add", "pat", "--role", "viewer"), "use --password-stdin"),
    (("user", "passwd"), "use --password-stdin"),
    (("user", "passwd", "pat"), "use --password-stdin"),
    (("server", "rm", "me"), "use --yes"),
    (("run", "me", "noop"), "use --yes"),
    (("run", "--tag", "here", "noop"), "use --yes"),
]


@pytest.fixture
def site(admin_cli: Cli) -> Cli:
    """A local server tagged ``here`` and a harmless change action assigned to it."""
    for args in (
        ("server", "add", "me", "--local", "--tag", "here"),
        ("action", "create", "noop", "--type", "command_execute", "--risk", "low"),
        ("action", "assign", "me", "noop"),
    ):
        extra = ("--command", "true") if "create" in args else ()
        result = admin_cli(*args, *extra)
        assert result.exit_code == 0, result.stderr
    return admin_cli


def refused_at_once(cli: Cli, args: tuple[str, ...], flag: str) -> None:
    result = cli(*args, input="")
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert error_line(result).endswith(f"standard input is not a terminal; {flag}")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "GetPassWarning" not in result.stdout + result.stderr


@pytest.mark.parametrize(("args", "flag"), ASKING, ids=[" ".join(a) for a, _ in ASKING])
def test_a_prompt_without_a_terminal_is_a_usage_error(
    site: Cli, args: tuple[str, ...], flag: str
) -> None:
    refused_at_once(site, args, flag)
    executions = site("executions", "list", "--format", "csv").stdout
    assert executions.splitlines()[1:] == []
    assert "me" in site("server", "list").stdout


def test_init_without_a_terminal_names_both_ways_to_give_the_password(
    cli: Cli,
) -> None:
    refused_at_once(cli, ("init",), "use --admin-password-stdin or APP_INIT_SECRET")
    assert cli("init", APP_INIT_SECRET=ADMIN_PASSWORD).exit_code == 0


@pytest.mark.parametrize(
    "args",
    [("server", "rm", "me"), ("user", "add", "pat", "--role", "viewer")],
    ids=" ".join,
)
def test_an_open_pipe_on_stdin_does_not_make_a_prompt_hang(
    site: Cli, args: tuple[str, ...]
) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "ssop", *args],
        env={**os.environ, **site.env},
        stdin=subprocess.PIPE,  # open, and nobody writes to it
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # no controlling terminal for getpass to open
        text=True,
    ) as process:
        try:
            process.wait(timeout=30)
        finally:
            process.kill()
        assert process.stderr is not None
        stderr = process.stderr.read()
    assert process.returncode == 2, stderr
    assert stderr.startswith("ssop: error: cannot ask for ") and stderr.count("\n") == 1
