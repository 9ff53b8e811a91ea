"""Processes a test starts on the host, found again by a random token.

A test names what it starts with a fresh token (a script file named
``ssop-hang-<token>``, or the token as an argument), runs it through a
transport, and then asks whether anything carrying the token still runs.
Whatever does is ended by pid (``end``), never by a name pattern.
``ctrl_c_after`` plays a person pressing Ctrl-C: SIGINT to this process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from ssop.core.transport.base import Command

# Says something (maybe nothing), starts a child that also carries the
# token ($0), then waits: ending the script alone would leave the child, so
# only a group kill passes.
_HANG = """#!/bin/sh
{say}sh -c 'while :; do sleep 1; done' "$0-child" &
wait
"""


def new_token() -> str:
    return uuid.uuid4().hex[:16]


def hang_script(folder: Path, token: str, say: str = "") -> Path:
    """A script named ``ssop-hang-<token>`` that never ends by itself; it
    first prints ``say`` (a plain word) on a line when given one."""
    path = folder / f"ssop-hang-{token}"
    path.write_text(_HANG.format(say=f"echo {say}\n" if say else ""))
    path.chmod(0o755)
    return path


def escaping_sleep(token: str) -> Command:
    """A command whose child leaves its process group (a session of its own)
    and keeps the channel's stdout open, so its end is never confirmed. The
    child runs ``sleep SECONDS``, SECONDS (the last argument) unique to it."""
    seconds = f"{300 + int(token[:4], 16) % 1000}.{int(token[4:10], 16)}"
    return Command.of("sh", "-c", 'setsid sleep "$0" & wait', seconds)


def pids_with(token: str) -> list[int]:
    """Live processes (zombies excluded) whose command line, its arguments
    joined by spaces as ``pgrep -f`` sees it, holds ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError, IndexError):
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if token.encode() in cmdline and state != "Z":
                    found.append(int(entry.name))
    return found


def gone_within(token: str, seconds: float) -> bool:
    """Whether every process holding ``token`` ends within ``seconds``
    (a group kill is delivered asynchronously: poll the real processes)."""
    deadline = time.monotonic() + seconds
    while pids_with(token):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def end(token: str) -> None:
    """Kill, by pid, whatever still holds ``token`` (a test's own leftovers)."""
    for pid in pids_with(token):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def ctrl_c_once_running(token: str, within: float = 20.0) -> Iterator[None]:
    """SIGINT to this process shortly after a hang script's child (holding
    ``token``) appears: a Ctrl-C that surely lands while the command runs."""
    cancelled = threading.Event()

    def press() -> None:
        deadline = time.monotonic() + within
        while not pids_with(f"{token}-child") and time.monotonic() < deadline:
            if cancelled.wait(0.05):
                return
        if not cancelled.wait(0.3):  # its first output is on its way
            os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press, daemon=True)
    presser.start()
    try:
        yield
    finally:
        cancelled.set()
        presser.join()


@contextlib.contextmanager
def ctrl_c_after(seconds: float) -> Iterator[None]:
    """SIGINT to this process after ``seconds``, as a terminal's Ctrl-C.

    The body must still be running then; the timer is cancelled on leaving.
    """
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
