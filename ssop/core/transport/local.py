"""Run commands on this machine: the Transport that serves ``localhost``.

The argv is executed directly (no shell), in its own process group. Output
is read incrementally from both pipes and capped. A command that outlives
its timeout, passes the cap (``end_at_cap``), meets a Ctrl-C, or is still
running when the transport is closed is killed together with everything
it started (its process group), then reaped: its end is always confirmed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from typing import IO

from ssop.core.transport.base import DEFAULT_OUTPUT_CAP, Command, CommandResult
from ssop.core.transport.capture import READ_CHUNK, CappedBuffer
from ssop.core.transport.ending import Ending, How, settle

log = logging.getLogger(__name__)


class _Expired(Exception):
    """The deadline passed while the command was still running."""


class LocalTransport:
    """Runs argvs as child processes of this one.

    Args:
        output_cap: bytes kept per stream; the rest is read and dropped.
        env: environment for the commands; ``None`` inherits ours.
    """

    def __init__(
        self,
        *,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._cap = output_cap
        self._env = dict(env) if env is not None else None
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` here; see ``Transport.run``.

        A program that cannot be executed gives exit 127 (not found) or 126
        (not executable) with a message on stderr, as a shell would.

        Raises:
            RunTimedOut: the command ran longer than ``timeout`` seconds.
            RunInterrupted: Ctrl-C arrived while it ran.
        """
        started = time.monotonic()
        try:
            proc = self._spawn(cmd)
        except OSError as e:
            return _not_runnable(cmd, e, started)
        with self._lock:
            self._running.add(proc)
        try:
            with proc:
                ending = _collect(proc, cmd, started, started + timeout, self._cap)
        finally:
            with self._lock:
                self._running.discard(proc)
        if ending.how is not How.EXITED:
            log.debug("local: %s ended: %s", cmd.argv[0], ending.how)
        return settle(ending, "localhost", cmd, timeout)

    def close(self) -> None:
        """Kill the commands still running (a Ctrl-C elsewhere ends a crawl)."""
        with self._lock:
            running = list(self._running)
        for proc in running:
            _signal_group(proc)

    def _spawn(self, cmd: Command) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            cmd.argv,
            stdin=subprocess.DEVNULL if cmd.stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self._env,
            # its own process group, so a timeout can kill its children too
            start_new_session=True,
        )


def _not_runnable(cmd: Command, error: OSError, started: float) -> CommandResult:
    code = 127 if isinstance(error, FileNotFoundError) else 126
    reason = "command not found" if code == 127 else (error.strerror or str(error))
    return CommandResult(
        stdout="",
        stderr=f"ssop: {cmd.argv[0]}: {reason}\n",
        exit_code=code,
        duration_s=time.monotonic() - started,
    )


def _collect(
    proc: subprocess.Popen[bytes],
    cmd: Command,
    started: float,
    deadline: float,
    cap: int,
) -> Ending:
    """Pump the pipes until EOF (or the cap) and reap, within the deadline."""
    out, err = CappedBuffer(cap), CappedBuffer(cap)
    try:
        full = _Pump(proc, cmd, out, err).run_until(deadline)
        code = -1 if full else proc.wait(timeout=max(deadline - time.monotonic(), 0))
        how = How.CUT if full else How.EXITED
    except (_Expired, subprocess.TimeoutExpired):
        how = How.LATE
    except KeyboardInterrupt:
        how = How.INTERRUPTED
    if how is not How.EXITED:
        _kill_group(proc)
        code = -1
    return Ending(how, out, err, exit_code=code, duration_s=time.monotonic() - started)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    _signal_group(proc)
    proc.wait()


def _signal_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone, group too
        os.killpg(proc.pid, signal.SIGKILL)


class _Pump:
    """Moves bytes between a child's pipes and our buffers, without threads."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        cmd: Command,
        out: CappedBuffer,
        err: CappedBuffer,
    ) -> None:
        self._selector = selectors.DefaultSelector()
        self._end_at_cap = cmd.end_at_cap
        self._sinks: dict[int, CappedBuffer] = {}
        for stream, sink in ((proc.stdout, out), (proc.stderr, err)):
            assert stream is not None  # both are PIPE in _spawn
            self._sinks[stream.fileno()] = sink
            self._selector.register(stream.fileno(), selectors.EVENT_READ)
        self._stdin = proc.stdin
        self._pending = memoryview(cmd.stdin or b"")
        if self._stdin is not None:
            os.set_blocking(self._stdin.fileno(), False)
            self._selector.register(self._stdin.fileno(), selectors.EVENT_WRITE)

    def run_until(self, deadline: float) -> bool:
        """Pump until both pipes reach EOF; True when a stream filled up
        first and the command is to be ended (``end_at_cap``)."""
        try:
            while self._selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Expired
                for key, _ in self._selector.select(remaining):
                    self._service(key.fd)
                if self._end_at_cap and any(s.truncated for s in self._sinks.values()):
                    return True
            return False
        finally:
            self._selector.close()

    def _service(self, fd: int) -> None:
        if fd in self._sinks:
            chunk = os.read(fd, READ_CHUNK)
            if chunk:
                self._sinks[fd].feed(chunk)
            else:
                self._selector.unregister(fd)
        else:
            self._write_stdin(fd)

    def _write_stdin(self, fd: int) -> None:
        try:
            written = os.write(fd, self._pending[:READ_CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:
            written = len(self._pending)  # the command stopped reading: fine
        self._pending = self._pending[written:]
        if not self._pending:
            self._selector.unregister(fd)
            _close_quietly(self._stdin)


def _close_quietly(stream: IO[bytes] | None) -> None:
    if stream is None:
        return
    with contextlib.suppress(BrokenPipeError):  # nothing to flush: os.write
        stream.close()
