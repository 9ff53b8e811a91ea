"""Real daemon processes for integration tests, and a NOTIFY_SOCKET to hear them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class NotifySocket:
    """An AF_UNIX datagram socket bound where a daemon's NOTIFY_SOCKET points.

    A thread reads it all along, as systemd does: the kernel queues only a
    few unread datagrams (net.unix.max_dgram_qlen, 10 by default), and a
    daemon pinging its watchdog into a full queue blocks in send().
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._closing.is_set():
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue

    def wait_for(self, prefix: str, timeout: float = 20.0) -> str:
        """The first datagram (seen before or arriving now) starting with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.messages):
                if message.startswith(prefix):
                    return message
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no {prefix!r} within {timeout}s; got {self.messages}"
                )
            time.sleep(0.01)

    def close(self) -> None:
        self._closing.set()
        self._reader.join()
        self.sock.close()


class Process:
    """A child ``python`` process whose stderr goes to a file tests can read live."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], log: Path) -> None:
        base = {k: os.environ[k] for k in ("PATH", "LANG") if k in os.environ}
        self.log = log
        with log.open("w") as err:
            self.popen = subprocess.Popen(
                [sys.executable, *args],
                cwd=ROOT,
                env={**base, "PYTHONPATH": str(ROOT), **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stderr(self) -> str:
        return self.log.read_text()

    def signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait_log(self, text: str, timeout: float = 20.0) -> None:
        wait_until(lambda: text in self.stderr(), timeout, f"{text!r} in the log")

    def finish(self, timeout: float) -> tuple[int, str]:
        """Wait for the exit; the exit code and stderr. Kills it if it hangs."""
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(
                f"process did not exit within {timeout}s; stderr:\n{self.stderr()}"
            ) from None
        return code, self.stderr()

    def kill(self) -> None:
        if self.running():
            self.popen.kill()
            self.popen.wait()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a real process's side effect (a file, a log line) until it shows up."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
