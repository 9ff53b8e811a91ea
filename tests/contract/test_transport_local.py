"""What only LocalTransport does: no shell, process-group kill, its own env."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ssop.core.errors import CommandTimeout
from ssop.core.transport.base import Command
from ssop.core.transport.local import LocalTransport


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a killed orphan may linger unreaped as a zombie


def dies_within(pid: int, seconds: float) -> bool:
    # SIGKILL to a group is delivered asynchronously: poll the real process
    deadline = time.monotonic() + seconds
    while is_running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_timeout_kills_the_commands_children_too(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f'sleep 30 & echo $! > "{pid_file}"; wait'

    with pytest.raises(CommandTimeout, match="localhost: sh"):
        LocalTransport().run(Command.of("sh", "-c", script), timeout=1.0)

    assert dies_within(int(pid_file.read_text()), seconds=2.0)


def test_argv_is_not_given_to_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"

    result = LocalTransport().run(Command.of("echo", f"$(touch {marker})"), timeout=5)

    assert result.stdout == f"$(touch {marker})\n"
    assert not marker.exists()


def test_a_file_that_is_not_executable_is_exit_126(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\necho hi\n")

    result = LocalTransport().run(Command.of(str(script)), timeout=5)

    assert result.exit_code == 126
    assert "Permission denied" in result.stderr


def test_env_replaces_the_environment() -> None:
    transport = LocalTransport(env={"PATH": "/usr/bin:/bin", "SSOP_PROBE": "yes"})

    result = transport.run(Command.of("sh", "-c", "echo $SSOP_PROBE"), timeout=5)

    assert result.stdout == "yes\n"
