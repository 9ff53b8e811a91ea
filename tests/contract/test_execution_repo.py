"""Execution rows on both dialects: begin, finish once, filter, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.errors import NotFound
from ssop.core.execution.executor import ExecutionStatus, Trigger
from ssop.core.models import Execution
from ssop.core.store.execution_repo import ExecutionFilter, ExecutionRepo, Finish

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
BIG = "x" * 300_000  # above MySQL TEXT's 64 KiB: the column must be MEDIUMTEXT


def begin(engine: Engine, server: str, action: str, at: datetime) -> int:
    row = Execution(
        server_name=server,
        action_name=action,
        action_type="command_get",
        actor="alice",
        trigger=Trigger.MANUAL.value,
        params={"service": "nginx"},
        command="systemctl show -- nginx",
        status="",
        started_at=at,
    )
    with Session(engine) as s, s.begin():
        return ExecutionRepo(s).begin(row).id or 0


def finish(engine: Engine, execution_id: int, status: ExecutionStatus) -> bool:
    outcome = Finish(
        status,
        T0 + timedelta(seconds=2),
        1.5,
        exit_code=0,
        stdout=BIG,
        stderr="warn",
        stdout_truncated=True,
    )
    with Session(engine) as s, s.begin():
        return ExecutionRepo(s).finish(execution_id, outcome)


def test_begin_writes_a_running_row(store_engine: Engine) -> None:
    execution_id = begin(store_engine, "web1", "get_uptime", T0)
    with Session(store_engine) as s:
        row = ExecutionRepo(s).get(execution_id)
    assert (row.status, row.actor, row.trigger) == ("running", "alice", "manual")
    assert row.params == {"service": "nginx"}
    assert row.started_at == T0
    assert row.finished_at is None and row.exit_code is None


def test_finish_completes_a_running_row_once(store_engine: Engine) -> None:
    execution_id = begin(store_engine, "web1", "get_uptime", T0)
    assert finish(store_engine, execution_id, ExecutionStatus.SUCCEEDED)
    assert not finish(store_engine, execution_id, ExecutionStatus.FAILED)
    with Session(store_engine) as s:
        row = ExecutionRepo(s).get(execution_id)
    assert row.status == "succeeded"
    assert (row.exit_code, row.stderr, row.stdout_truncated) == (0, "warn", True)
    assert row.stdout == BIG
    assert row.duration_s == 1.5
    assert row.finished_at == T0 + timedelta(seconds=2)


def test_every_status_fits_the_column(store_engine: Engine) -> None:
    for status in ExecutionStatus:
        execution_id = begin(store_engine, "web1", "get_uptime", T0)
        with Session(store_engine) as s, s.begin():
            s.get(Execution, execution_id).status = status.value  # type: ignore[union-attr]
        with Session(store_engine) as s:
            assert ExecutionRepo(s).get(execution_id).status == status.value


def test_list_filters_and_orders_newest_first(store_engine: Engine) -> None:
    a = begin(store_engine, "web1", "get_uptime", T0)
    b = begin(store_engine, "web2", "get_uptime", T0 + timedelta(hours=1))
    c = begin(store_engine, "web1", "restart_service", T0 + timedelta(hours=2))
    finish(store_engine, b, ExecutionStatus.FAILED)

    def ids(**where: object) -> list[int]:
        with Session(store_engine) as s:
            rows = ExecutionRepo(s).list(ExecutionFilter(**where))  # type: ignore[arg-type]
        return [r.id or 0 for r in rows]

    assert ids() == [c, b, a]
    assert ids(server="web1") == [c, a]
    assert ids(action="restart_service") == [c]
    assert ids(actor="alice", server="web2") == [b]
    assert ids(actor="bob") == []
    assert ids(status=ExecutionStatus.FAILED) == [b]
    assert ids(status=ExecutionStatus.RUNNING) == [c, a]
    assert ids(since=T0 + timedelta(minutes=30)) == [c, b]
    assert ids(limit=1) == [c]


def test_get_names_a_missing_execution(store_engine: Engine) -> None:
    with Session(store_engine) as s, pytest.raises(NotFound, match="no execution #9"):
        ExecutionRepo(s).get(9)
