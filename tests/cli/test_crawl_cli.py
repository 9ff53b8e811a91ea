"""``ssop crawl`` and ``ssop db prune`` through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

from ssop.core.models import AuditEvent, MetricSample, Server
from ssop.core.models.types import utcnow
from ssop.core.store.action_repo import AssignmentRepo
from ssop.core.store.fleet_repo import FleetRepo
from tests.cli.conftest import Cli, error_line, login
from tests.support.sshd import dead_host
from tests.support.stragglers import (
    ctrl_c_once_running,
    end,
    gone_within,
    hang_script,
    new_token,
)


@pytest.fixture
def engine(cli: Cli) -> Iterator[Engine]:
    engine = create_engine(cli.env["SSOP_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def started(cli: Cli) -> Cli:
    """Set up by quickstart: logged in as sysadmin, localhost watched."""
    result = cli("quickstart")
    assert result.exit_code == 0, result.stderr
    return cli


def add_dead_server(engine: Engine) -> None:
    host, port = dead_host()
    with Session(engine) as s, s.begin():
        server = Server(name="dead", host=host, port=port, use_agent=True)
        s.add(server)
        s.flush()
        for action in FleetRepo(s).builtin_get_actions():
            AssignmentRepo(s).assign(server, action, automatic=False)


def count_samples(engine: Engine, name: str | None = None) -> int:
    query = select(func.count()).select_from(MetricSample)
    if name:
        query = query.where(MetricSample.server_name == name)
    with Session(engine) as s:
        return int(s.exec(query).one())


def test_crawl_stores_and_shows_one_row_per_server(
    started: Cli, engine: Engine
) -> None:
    result = started("crawl")
    assert result.exit_code == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if "localhost" in ln)
    assert "ok" in line
    assert "crawled 1 server(s)" in result.stdout
    assert count_samples(engine, "localhost") == 2


def test_a_failed_server_is_shown_with_its_cause_and_exits_5(
    started: Cli, engine: Engine
) -> None:
    add_dead_server(engine)
    result = started("crawl")
    assert result.exit_code == 5
    assert error_line(result) == "ssop: error: 1 of 2 server(s) could not be crawled"
    assert "dead: refused: server dead: connection refused" in result.stdout
    assert count_samples(engine, "localhost") == 2


def test_ctrl_c_shows_what_finished_says_interrupted_and_exits_130(
    started: Cli, engine: Engine, tmp_path: Path
) -> None:
    add_dead_server(engine)
    token = new_token()
    script = hang_script(tmp_path, token)
    for args in (
        ("action", "create", "hang", "--type", "command_get", "--risk", "low"),
        ("action", "assign", "localhost", "hang"),
    ):
        extra = (
            ("--command", str(script), "--timeout", "60") if "create" in args else ()
        )
        assert started(*args, *extra).exit_code == 0
    try:
        with ctrl_c_once_running(token):
            result = started("crawl")
        assert gone_within(token, seconds=2.0)
    finally:
        end(token)
    assert result.exit_code == 130, result.stderr
    assert "dead: refused: server dead: connection refused" in result.stdout
    assert "interrupted, 1 not crawled" in result.stdout
    assert "ssop: interrupted; not crawled: localhost" in result.stderr
    assert count_samples(engine, "localhost") == 1  # quickstart's only


def test_named_servers_json_and_unknown_names(started: Cli, engine: Engine) -> None:
    add_dead_server(engine)
    result = started("crawl", "localhost", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (host,) = json.loads(result.stdout)
    assert host["server"] == "localhost" and host["ok"] is True
    assert host["readings"]["memory_percent"] > 0
    result = started("crawl", "nosuch")
    assert result.exit_code == 3
    assert "nosuch" in error_line(result)


def test_crawl_needs_a_login_and_actions_run(started: Cli) -> None:
    # a crawl runs every assigned get action over SSH, custom ones included,
    # so it needs what `ssop run SERVER get_uptime` needs
    for name, role in (("vera", "viewer"), ("olga", "operator")):
        added = started(
            "user",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            input=f"{name}-password-1\n",
        )
        assert added.exit_code == 0, added.stderr
    started("logout")
    result = started("crawl")
    assert result.exit_code == 4 and "not logged in" in error_line(result)
    assert login(started, "vera", "vera-password-1").exit_code == 0
    denied = started("crawl")
    assert denied.exit_code == 4 and "lacks actions.run" in error_line(denied)
    assert login(started, "olga", "olga-password-1").exit_code == 0
    assert started("crawl").exit_code == 0


def test_db_prune_applies_the_retention_and_keeps_the_audit(
    started: Cli, engine: Engine
) -> None:
    old = utcnow() - timedelta(days=40)
    with Session(engine) as s, s.begin():
        for days in (0, 1, 2):  # ids grow: the last one added is gone's newest
            s.add(MetricSample(server_name="gone", at=old + timedelta(days=days)))
    with Session(engine) as s:
        audit = int(s.exec(select(func.count()).select_from(AuditEvent)).one())
    result = started("db", "prune")
    assert result.exit_code == 0, result.stderr
    assert "metric_samples: deleted 2 row(s) older than 30 day(s)" in result.stdout
    assert count_samples(engine, "localhost") == 1
    assert count_samples(engine, "gone") == 1  # a server's newest sample stays
    with Session(engine) as s:
        assert int(s.exec(select(func.count()).select_from(AuditEvent)).one()) >= audit
    result = started("db", "prune", "--days", "0")
    assert result.exit_code == 2


def test_db_prune_is_for_admins(started: Cli) -> None:
    assert (
        started(
            "user",
            "add",
            "olga",
            "--role",
            "operator",
            "--password-stdin",
            input="olga-password-1\n",
        ).exit_code
        == 0
    )
    assert login(started, "olga", "olga-password-1").exit_code == 0
    result = started("db", "prune")
    assert result.exit_code == 4
