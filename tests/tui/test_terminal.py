"""``ssop tui`` in a real terminal (tmux): open Approvals, approve, see it run once.

tmux runs on a socket of the test's own; the dashboard is the installed
command's code (``python -m ssop tui``) with SSOP_TOKEN from a login.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.clock import FakeClock
from tests.integration.policy.conftest import Rig
from tests.support.policy import executions
from tests.support.sshd import Sshd
from tests.tui.conftest import queued

pytestmark = [pytest.mark.sshd, pytest.mark.slow]
ROOT = Path(__file__).parents[2]
TIMEOUT_S = 30.0


@pytest.fixture
def clock() -> FakeClock:
    """Near the real time: the dashboard process runs on the system clock."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


class Terminal:
    def __init__(self, socket: Path) -> None:
        if shutil.which("tmux") is None:
            pytest.fail("tmux is missing: install the Debian package tmux")
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "tui", "-x", "100", "-y", "30", command)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "tui", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def wait_for(self, found: Callable[[str], bool], what: str) -> str:
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.screen()
            if found(text):
                return text
            time.sleep(0.2)  # a real terminal: nothing to fake
        pytest.fail(f"no {what} on screen after {TIMEOUT_S}s:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(
            ["tmux", "-S", str(self.socket), "kill-server"], capture_output=True
        )


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path / "tmux.sock")
    yield term
    term.close()


def command(rig: Rig, token: str, env: dict[str, str]) -> str:
    url = rig.services.engine.url.render_as_string(hide_password=False)
    variables = {
        **env,
        "SSOP_DATABASE_URL": url,
        "SSOP_TOKEN": token,
        "PYTHONPATH": str(ROOT),
        "PATH": os.environ.get("PATH", ""),
        "TERM": "xterm-256color",
    }
    assignments = " ".join(f"{k}='{v}'" for k, v in variables.items())
    return (
        f"env -i {assignments} {sys.executable} -m ssop tui --screen approvals --poll 1"
    )


def test_approve_in_a_real_terminal(
    rig: Rig, sshd: Sshd, terminal: Terminal, isolated_env: dict[str, str]
) -> None:
    [request_id] = queued(rig, sshd)
    rig.user("olga")
    token = rig.services.auth.login("olga", "olga-pw").token
    terminal.start(command(rig, token, isolated_env))

    terminal.wait_for(lambda s: "restart_service" in s and "Approve" in s, "request")
    terminal.keys("a")
    terminal.wait_for(lambda s: f"Approve request #{request_id}?" in s, "confirmation")
    terminal.keys("y")
    row = re.compile(rf"^ ?{request_id} +(pending|approved) ", re.M)
    shown = terminal.wait_for(lambda s: f"approved #{request_id}" in s, "notification")
    assert row.search(shown) is not None, shown
    assert rig.services.approvals.show(rig.user("olga"), request_id).status == (
        "approved"
    )

    rig.services.approvals.execute_approved()  # the daemon's step
    terminal.wait_for(lambda s: row.search(s) is None, "empty queue")
    terminal.keys("q")

    runs = executions(rig.services)
    assert [(r.request_id, r.status) for r in runs] == [(request_id, "succeeded")]
    assert rig.systemctl() == [["systemctl", "restart", "--", "nginx"]]
