"""One daemon per SQLite store; any number on MariaDB."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.errors import Conflict, ExitCode, SsopError
from ssop.core.ops.daemon_registry import DaemonState
from ssop.core.services import build_services
from ssop.daemon.lock import DaemonLock, lock_path
from ssop.daemon.runtime import DaemonRuntime
from tests.support import services as support
from tests.support.processes import NotifySocket, Process


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Path:
    url = support.sqlite_copy(sqlite_template, tmp_path)
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def daemon_env(
    sqlite_db: Path, isolated_env: dict[str, str], tmp_path: Path
) -> dict[str, str]:
    return dict(
        isolated_env,
        SSOP_DATABASE_URL=f"sqlite:///{sqlite_db}",
        SSOP_CONFIG=support.empty_config_file(tmp_path),
        SSOP_APP__PORT="0",
    )


def daemon(
    processes: list[Process], env: dict[str, str], log: Path, *args: str
) -> Process:
    proc = Process(["-m", "ssop", "daemon", *args], env, log)
    processes.append(proc)
    return proc


def start_loop(
    processes: list[Process], env: dict[str, str], tmp_path: Path
) -> Process:
    notify = NotifySocket(tmp_path / "notify.sock")
    try:
        proc = daemon(
            processes, dict(env, NOTIFY_SOCKET=str(notify.path)), tmp_path / "first.log"
        )
        notify.wait_for("READY=1")
    finally:
        notify.close()
    return proc


def test_a_second_daemon_on_the_same_sqlite_file_refuses_to_start(
    processes: list[Process],
    daemon_env: dict[str, str],
    tmp_path: Path,
    sqlite_db: Path,
) -> None:
    first = start_loop(processes, daemon_env, tmp_path)
    second = daemon(processes, daemon_env, tmp_path / "second.log", "--once")
    code, err = second.finish(timeout=30)
    assert code == ExitCode.ERROR
    assert (
        f"ssop: error: another ssop daemon (pid {first.pid}) is already running "
        f"on {sqlite_db}" in err
    )
    assert "ssop: hint: one daemon per SQLite store" in err
    assert first.running()
    first.signal(signal.SIGTERM)
    assert first.finish(timeout=15)[0] == ExitCode.OK
    third = daemon(processes, daemon_env, tmp_path / "third.log", "--once")
    code, err = third.finish(timeout=30)
    assert code == ExitCode.OK, err


def test_a_crashed_daemon_leaves_no_lock_behind(
    processes: list[Process],
    daemon_env: dict[str, str],
    tmp_path: Path,
    sqlite_db: Path,
) -> None:
    first = start_loop(processes, daemon_env, tmp_path)
    first.signal(signal.SIGKILL)
    first.finish(timeout=10)
    assert lock_path(sqlite_db).exists()
    after = daemon(processes, daemon_env, tmp_path / "after.log", "--once")
    code, err = after.finish(timeout=30)
    assert code == ExitCode.OK, err


def test_the_lock_is_exclusive_within_one_process_too(tmp_path: Path) -> None:
    db = tmp_path / "ssop.db"
    first, second = DaemonLock(db), DaemonLock(db)
    first.acquire()
    with pytest.raises(Conflict, match=f"pid {os.getpid()}"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()


def test_daemons_sharing_mariadb_take_no_lock(
    mariadb_url: str, isolated_env: dict[str, str]
) -> None:
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=mariadb_url),
        system_config=Path("/nonexistent"),
    )
    observer = build_services(config)
    support.clean_tables(observer.engine)
    runtimes = [DaemonRuntime(config, lambda: config, once=True) for _ in range(2)]
    for runtime in runtimes:
        runtime.bootstrap()
    try:
        running = {
            d.id for d in observer.daemons.list() if d.status is DaemonState.RUNNING
        }
        assert running == {r.daemon_id for r in runtimes}
    finally:
        for runtime in runtimes:
            runtime.teardown()
        support.clean_tables(observer.engine)
        observer.close()


def all_at_once(
    runtimes: list[DaemonRuntime], do: Callable[[DaemonRuntime], object]
) -> list[str]:
    """``do(runtime)`` for every runtime at the same instant, one thread each;
    the error messages of those that failed."""
    barrier = threading.Barrier(len(runtimes))
    errors: list[str] = []

    def run(runtime: DaemonRuntime) -> None:
        barrier.wait()
        try:
            do(runtime)
        except SsopError as e:
            errors.append(e.message)

    threads = [threading.Thread(target=run, args=(r,)) for r in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def start_together(runtimes: list[DaemonRuntime]) -> list[str]:
    """Bootstrap (register) every runtime at once, then beat at once."""
    for runtime in runtimes:
        # connected and schema checked: bootstrap then goes straight to registering
        runtime.services.store.require_current()
    failed = all_at_once(runtimes, DaemonRuntime.bootstrap)
    return failed + all_at_once(
        runtimes, lambda r: r.services.daemons.beat(r.daemon_id, errors=0)
    )


@pytest.mark.mariadb
def test_daemons_started_together_on_mariadb_all_register(
    mariadb_url: str, isolated_env: dict[str, str]
) -> None:
    """Registration marks the host's silent daemons lost and inserts its row:
    two of those at once used to deadlock (1213) and one daemon died."""
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=mariadb_url),
        system_config=Path("/nonexistent"),
    )
    observer = build_services(config)
    support.clean_tables(observer.engine)
    try:
        for _round in range(10):
            for count in (2, 3):
                runtimes = [
                    DaemonRuntime(config, lambda: config, once=True)
                    for _ in range(count)
                ]
                try:
                    assert start_together(runtimes) == []
                finally:
                    for runtime in runtimes:
                        runtime.teardown()
        daemons = observer.daemons.list()
        assert len(daemons) == 50
        assert {d.status for d in daemons} == {DaemonState.STOPPED}
    finally:
        support.clean_tables(observer.engine)
        observer.close()
