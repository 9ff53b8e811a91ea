"""Helpers for CLI tests of servers: ``server add`` argv for the test sshd,
successful runs, refusals that must leave the store alone (but for the
refusal in the audit trail)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.models import Server
from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import Cli, error_line
from tests.support.auth import snapshot, unchanged_but_refusals
from tests.support.sshd import Sshd

TABLES = ("servers", "server_tags", "server_actions", "audit_events")


def add_args(
    sshd: Sshd, name: str = "web1", key: str = "ed25519", *extra: str
) -> list[str]:
    return [
        "server",
        "add",
        name,
        "--host",
        sshd.host,
        "--port",
        str(sshd.port),
        "--user",
        "root",
        "--key-file",
        str(sshd.keys[key].path),
        "--accept-host-key",
        sshd.host_key.fingerprint,
        *extra,
    ]


def ok(cli: Cli, *args: str, input: str | None = None, **env: str) -> str:
    result = cli(*args, input=input, **env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def row(engine: Engine, name: str = "web1") -> Server:
    with Session(engine) as s:
        return ServerRepo(s).get(name)


def refused(
    cli: Cli,
    engine: Engine,
    args: Sequence[str],
    code: int,
    input: str | None = None,
    **env: str,
) -> str:
    """Run a command that must be refused; its error line, the store unchanged
    but for the refusal in the audit trail."""
    before = snapshot(engine, TABLES)
    result = cli(*args, input=input, **env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert unchanged_but_refusals(before, snapshot(engine, TABLES))
    return error_line(result)
