"""Signals reach a real daemon process: warm stop, cold stop, reload."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from ssop.core.errors import ExitCode
from tests.support.processes import Process, wait_until

ENTRY = "tests.integration.daemon_entry"


def start(
    processes: list[Process], folder: Path, step_s: float, interval_s: float
) -> Process:
    args = ["-m", ENTRY, str(folder), str(step_s), str(interval_s)]
    proc = Process(args, {}, folder / "stderr.log")
    processes.append(proc)
    wait_until(lambda: (folder / "started-1").exists(), 20, "the first step to start")
    return proc


def test_sigterm_mid_step_lets_the_step_finish_then_exits_cleanly(
    tmp_path: Path, processes: list[Process]
) -> None:
    proc = start(processes, tmp_path, step_s=1.5, interval_s=0.5)
    proc.signal(signal.SIGTERM)
    sent = time.monotonic()
    code, err = proc.finish(timeout=10)
    assert code == ExitCode.OK, err
    assert time.monotonic() - sent < 10
    assert (tmp_path / "finished-1").exists()
    assert not (tmp_path / "started-2").exists()
    assert (tmp_path / "teardown").exists()
    assert "SIGTERM, stopping after the current step" in err


def test_sigterm_while_idle_is_noticed_within_a_slice(
    tmp_path: Path, processes: list[Process]
) -> None:
    proc = start(processes, tmp_path, step_s=0.0, interval_s=3600)
    wait_until(lambda: (tmp_path / "finished-1").exists(), 10, "the first step to end")
    proc.signal(signal.SIGTERM)
    sent = time.monotonic()
    code, err = proc.finish(timeout=10)
    assert code == ExitCode.OK, err
    assert time.monotonic() - sent < 2


def test_a_second_signal_exits_at_once_without_finishing_the_step(
    tmp_path: Path, processes: list[Process]
) -> None:
    proc = start(processes, tmp_path, step_s=60, interval_s=120)
    proc.signal(signal.SIGTERM)
    proc.wait_log("stopping after the current step")
    assert proc.running()
    proc.signal(signal.SIGINT)
    sent = time.monotonic()
    code, err = proc.finish(timeout=10)
    assert code == ExitCode.INTERRUPTED, err
    assert time.monotonic() - sent < 3
    assert not (tmp_path / "finished-1").exists()
    assert (tmp_path / "teardown").exists()
    assert "SIGINT again, stopping now" in err and "cold stop" in err


def test_sighup_asks_for_a_reload_and_the_daemon_keeps_running(
    tmp_path: Path, processes: list[Process]
) -> None:
    proc = start(processes, tmp_path, step_s=0.05, interval_s=0.2)
    proc.signal(signal.SIGHUP)
    wait_until(lambda: (tmp_path / "reloaded-1").exists(), 10, "the reload")
    proc.signal(signal.SIGHUP)
    wait_until(lambda: (tmp_path / "reloaded-2").exists(), 10, "the second reload")
    runs_before = len(list(tmp_path.glob("finished-*")))
    wait_until(
        lambda: len(list(tmp_path.glob("finished-*"))) > runs_before + 1,
        10,
        "steps to go on after the reloads",
    )
    assert proc.running()
    proc.signal(signal.SIGTERM)
    code, err = proc.finish(timeout=10)
    assert code == ExitCode.OK, err
    assert "reloading configuration" in err
