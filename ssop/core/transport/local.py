"""Run commands on this machine: the Transport that serves ``localhost``.

The argv is executed directly (no shell). Output is read incrementally from
both pipes and capped, and a command that outlives its timeout is killed
together with everything it started (its own process group).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Mapping
from typing import IO

from ssop.core.errors import CommandTimeout
from ssop.core.transport.base import DEFAULT_OUTPUT_CAP, Command, CommandResult
from ssop.core.transport.capture import READ_CHUNK, CappedBuffer

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

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        """Run ``cmd`` here; see ``Transport.run``.

        A program that cannot be executed gives exit 127 (not found) or 126
        (not executable) with a message on stderr, as a shell would.

        Raises:
            CommandTimeout: the command ran longer than ``timeout`` seconds.
        """
        started = time.monotonic()
        try:
            proc = self._spawn(cmd)
        except OSError as e:
            return _not_runnable(cmd, e, started)
        with proc:
            out, err, code = _collect(proc, cmd.stdin, started + timeout, self._cap)
        if code is None:
            log.debug("local: %s killed after %.1fs", cmd.argv[0], timeout)
            raise CommandTimeout(
                f"localhost: {cmd.argv[0]} did not finish within {timeout:g}s"
            )
        return CommandResult(
            stdout=out.text(),
            stderr=err.text(),
            exit_code=code,
            duration_s=time.monotonic() - started,
            stdout_truncated=out.truncated,
            stderr_truncated=err.truncated,
        )

    def close(self) -> None:
        """Nothing to close: every command is its own process."""

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
    proc: subprocess.Popen[bytes], stdin: bytes | None, deadline: float, cap: int
) -> tuple[CappedBuffer, CappedBuffer, int | None]:
    """Pump the pipes until EOF and reap; exit code ``None`` means timed out."""
    out, err = CappedBuffer(cap), CappedBuffer(cap)
    try:
        _Pump(proc, stdin, out, err).run_until(deadline)
        code = proc.wait(timeout=max(deadline - time.monotonic(), 0))
    except (_Expired, subprocess.TimeoutExpired):
        _kill_group(proc)
        return out, err, None
    return out, err, code


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone, group too
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


class _Pump:
    """Moves bytes between a child's pipes and our buffers, without threads."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        stdin: bytes | None,
        out: CappedBuffer,
        err: CappedBuffer,
    ) -> None:
        self._selector = selectors.DefaultSelector()
        self._sinks: dict[int, CappedBuffer] = {}
        for stream, sink in ((proc.stdout, out), (proc.stderr, err)):
            assert stream is not None  # both are PIPE in _spawn
            self._sinks[stream.fileno()] = sink
            self._selector.register(stream.fileno(), selectors.EVENT_READ)
        self._stdin = proc.stdin
        self._pending = memoryview(stdin or b"")
        if self._stdin is not None:
            os.set_blocking(self._stdin.fileno(), False)
            self._selector.register(self._stdin.fileno(), selectors.EVENT_WRITE)

    def run_until(self, deadline: float) -> None:
        try:
            while self._selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _Expired
                for key, _ in self._selector.select(remaining):
                    self._service(key.fd)
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
