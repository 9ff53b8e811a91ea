"""retrying_transaction: lock conflicts are run again, anything else is not."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from ssop.core.store.db import session_factory
from ssop.core.store.retry import (
    ATTEMPTS,
    MAX_DELAY_S,
    backoff_s,
    is_conflict,
    retrying_transaction,
)
from tests.fakes.clock import FakeClock

DEADLOCK = (1213, "Deadlock found when trying to get lock; try restarting transaction")
LOCK_WAIT = (1205, "Lock wait timeout exceeded; try restarting transaction")


def mysql_error(code: int, message: str) -> OperationalError:
    return OperationalError("UPDATE daemons ...", {}, Exception(code, message))


@pytest.fixture
def sessions() -> Iterator[Callable[[], Session]]:
    engine = create_engine("sqlite://")
    yield session_factory(engine)
    engine.dispose()


def failing(*errors: Exception) -> Callable[[Session], str]:
    """A transaction body that raises ``errors`` in turn, then answers."""
    left = list(errors)

    def fn(s: Session) -> str:
        s.execute(text("SELECT 1"))
        if left:
            raise left.pop(0)
        return "done"

    return fn


def test_deadlocks_and_lock_waits_are_run_again_after_a_short_backoff(
    sessions: Callable[[], Session], caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    body = failing(mysql_error(*DEADLOCK), mysql_error(*LOCK_WAIT))
    with caplog.at_level("INFO", logger="ssop.core.store.retry"):
        result = retrying_transaction(sessions, body, clock=clock, what="claim 7")
    assert result == "done"
    assert len(clock.slept) == 2
    assert 0.025 <= clock.slept[0] <= 0.075 and 0.05 <= clock.slept[1] <= 0.15
    assert caplog.messages[0].startswith(
        "store: claim 7 lost a lock race (Deadlock found"
    )
    assert caplog.messages[1].endswith(f"retry 2 in {clock.slept[1]:.2f}s")


def test_other_errors_are_not_retried(sessions: Callable[[], Session]) -> None:
    clock = FakeClock()
    duplicate = IntegrityError("INSERT", {}, Exception(1062, "Duplicate entry"))
    with pytest.raises(IntegrityError):
        retrying_transaction(sessions, failing(duplicate), clock=clock)
    gone = mysql_error(2013, "Lost connection to server during query")
    with pytest.raises(OperationalError):
        retrying_transaction(sessions, failing(gone), clock=clock)
    assert clock.slept == []


def test_the_last_conflict_reaches_the_caller(sessions: Callable[[], Session]) -> None:
    clock = FakeClock()
    body = failing(*[mysql_error(*DEADLOCK) for _ in range(ATTEMPTS)])
    with pytest.raises(OperationalError, match="Deadlock"):
        retrying_transaction(sessions, body, clock=clock)
    assert len(clock.slept) == ATTEMPTS - 1


def test_backoff_doubles_up_to_a_cap_with_jitter() -> None:
    for attempt in range(12):
        base = min(MAX_DELAY_S, 0.05 * 2**attempt)
        assert 0.5 * base <= backoff_s(attempt) <= 1.5 * base
    assert not is_conflict(ValueError("database is locked"))


class ReleasingClock(FakeClock):
    """Ends the other writer's transaction when the retry backs off."""

    def __init__(self, holder: sqlite3.Connection) -> None:
        super().__init__()
        self.holder = holder

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        self.holder.commit()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    path = tmp_path / "locked.db"
    # timeout=0: SQLite reports the lock at once instead of waiting for it
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield path, engine
    engine.dispose()


def test_sqlite_database_is_locked_is_a_conflict_too(
    sqlite_file: tuple[Path, Engine],
) -> None:
    path, engine = sqlite_file
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    clock = ReleasingClock(holder)

    def insert(s: Session) -> int:
        s.execute(text("INSERT INTO t (n) VALUES (1)"))
        return 1

    try:
        assert retrying_transaction(session_factory(engine), insert, clock=clock) == 1
    finally:
        holder.close()
    assert len(clock.slept) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 1


def test_a_deadlock_inside_a_savepoint_is_run_again(
    sessions: Callable[[], Session],
) -> None:
    """MariaDB rolled everything back, so releasing the savepoint failed too."""
    try:
        try:
            raise mysql_error(*DEADLOCK)
        except OperationalError:
            raise mysql_error(1305, "SAVEPOINT sa_savepoint_1 does not exist") from None
    except OperationalError as e:
        lost_savepoint = e
    assert lost_savepoint.__context__ is not None
    assert is_conflict(lost_savepoint)
    body = failing(lost_savepoint)
    assert retrying_transaction(sessions, body, clock=FakeClock()) == "done"
    assert not is_conflict(mysql_error(1305, "SAVEPOINT sa_savepoint_1 does not exist"))
