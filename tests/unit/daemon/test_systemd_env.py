"""systemd_env() reads what systemd hands the daemon, and nothing else."""

from __future__ import annotations

import os

from ssop.core.config.loader import SystemdEnv, systemd_env


def test_nothing_set_means_no_systemd() -> None:
    assert systemd_env({}) == SystemdEnv(None, None)


def test_socket_and_watchdog_for_this_process() -> None:
    env = {
        "NOTIFY_SOCKET": "/run/systemd/notify",
        "WATCHDOG_USEC": "60000000",
        "WATCHDOG_PID": str(os.getpid()),
    }
    assert systemd_env(env) == SystemdEnv("/run/systemd/notify", 60_000_000)


def test_a_watchdog_for_another_pid_or_garbage_is_ignored() -> None:
    assert (
        systemd_env({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}).watchdog_usec
        is None
    )
    assert systemd_env({"WATCHDOG_USEC": "soon"}).watchdog_usec is None
    assert systemd_env({"WATCHDOG_USEC": "0"}).watchdog_usec is None
