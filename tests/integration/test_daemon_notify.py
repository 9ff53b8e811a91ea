"""The sd_notify protocol through a real NOTIFY_SOCKET datagram socket."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.errors import ExitCode
from tests.support import services as support
from tests.support.processes import NotifySocket, Process, wait_until


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.close()


def drain(notify: NotifySocket) -> list[str]:
    notify.wait_for("STOPPING=1", timeout=30)
    return notify.messages


def test_ssop_daemon_once_reports_ready_watchdog_status_and_stopping(
    notify: NotifySocket,
    tmp_path: Path,
    sqlite_template: Path,
    isolated_env: dict[str, str],
) -> None:
    env = dict(
        isolated_env,
        SSOP_DATABASE_URL=support.sqlite_copy(sqlite_template, tmp_path),
        SSOP_CONFIG=support.empty_config_file(tmp_path),
        NOTIFY_SOCKET=str(notify.path),
        WATCHDOG_USEC="200000",
    )
    proc = Process(["-m", "ssop", "daemon", "--once"], env, tmp_path / "d.log")
    # Read while it runs: a datagram socket queues only 10 unread messages
    # (net.unix.max_dgram_qlen), then the daemon's next send blocks.
    messages = drain(notify)
    code, err = proc.finish(timeout=30)
    assert code == ExitCode.OK, err
    assert messages[0] == "READY=1"
    assert "WATCHDOG=1" in messages
    (status,) = [m for m in messages if m.startswith("STATUS=")]
    assert status.startswith("STATUS=crawl: crawled 0 server(s) in ")
    assert "analyse: 0 analysed, 0 reused, 0 failed (0 notices); " in status
    assert "remediate: 0 decision(s); " in status
    assert "execute_approved: 0 request(s) executed; " in status
    assert status.endswith("prune: pruned 0 row(s) older than 30d; 0 step error(s)")
    assert messages[-1] == "STOPPING=1"


def test_a_running_daemon_pings_the_watchdog_at_half_its_period(
    notify: NotifySocket, tmp_path: Path
) -> None:
    env = {"NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "200000"}
    args = ["-m", "tests.integration.daemon_entry", str(tmp_path), "0.01", "0.3"]
    proc = Process(args, env, tmp_path / "d.log")
    try:
        notify.wait_for("READY=1")
        wait_until(lambda: (tmp_path / "finished-3").exists(), 20, "three cycles")
        notify.wait_for("STATUS=work: worked 3 time(s)")
    finally:
        proc.signal(signal.SIGTERM)
        code, err = proc.finish(timeout=10)
    assert code == ExitCode.OK, err
    messages = drain(notify)
    # Three cycles 0.3 s apart span at least 0.6 s: pings every 0.1 s.
    assert messages.count("WATCHDOG=1") >= 5
    assert messages[-1] == "STOPPING=1"


def test_a_watchdog_meant_for_another_pid_is_not_fed(
    notify: NotifySocket, tmp_path: Path
) -> None:
    env = {
        "NOTIFY_SOCKET": str(notify.path),
        "WATCHDOG_USEC": "200000",
        "WATCHDOG_PID": "1",
    }
    args = ["-m", "tests.integration.daemon_entry", str(tmp_path), "0.01", "0.3"]
    proc = Process(args, env, tmp_path / "d.log")
    try:
        notify.wait_for("STATUS=work: worked 2 time(s)")
    finally:
        proc.signal(signal.SIGTERM)
        code, err = proc.finish(timeout=10)
    assert code == ExitCode.OK, err
    messages = drain(notify)
    assert "READY=1" in messages and "WATCHDOG=1" not in messages
