"""While the database is down, each daemon step logs one line saying so,
never a SQLAlchemy traceback, and the loop carries on."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from ssop.core.config.loader import SystemdEnv, load_config
from ssop.daemon.runtime import DaemonRuntime


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_step_logs_one_line_while_the_database_is_down(
    isolated_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    port = closed_port()
    url = f"mysql+mysqldb://root:hunter2@127.0.0.1:{port}/ssop"
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=url),
        system_config=Path("/nonexistent"),
    )
    runtime = DaemonRuntime(config, lambda: config, once=True)
    runtime.bootstrap = lambda: None  # type: ignore[method-assign]  # it was up then
    caplog.set_level(logging.INFO, logger="ssop")

    assert runtime.daemon(SystemdEnv(None, None)).run(once=True) == 0

    failed = [r for r in caplog.records if r.levelno >= logging.ERROR]
    steps = [r.getMessage().split(":")[0].removeprefix("step ") for r in failed]
    assert len(steps) == len(set(steps))  # one line each
    # analyse reads its in-process queue first: with nothing queued it is fine
    assert set(steps) == {s.name for s in runtime.steps()} - {"analyse"}
    for record in failed:
        assert f"cannot reach the database at 127.0.0.1:{port}" in record.getMessage()
        assert record.exc_info is None
    assert "hunter2" not in caplog.text and "Traceback" not in caplog.text
