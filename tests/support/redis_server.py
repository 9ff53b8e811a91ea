"""A private redis-server on a free loopback port, to stop and start at will.

Outage tests kill or pause (SIGSTOP) this one, never the shared Redis on 6379.
A paused Redis still accepts connections (the kernel does that) but never
answers: the hung-server case, unlike a dead one that refuses at once.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.support.queue_rigs import free_port

READY_TIMEOUT_S = 10.0


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "redis-server not found: install the Debian package redis-server",
                pytrace=False,
            )
        self._binary = binary
        self._folder = folder
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [
            self._binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self._folder),
            "--logfile",
            str(self._folder / "redis.log"),
        ]
        self._proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        self._wait_ready()

    def pause(self) -> None:
        assert self._proc is not None, "start it first"
        self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._proc is not None, "start it first"
        self._proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)  # a paused one dies on SIGKILL too
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None

    def _wait_ready(self) -> None:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + READY_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.02)  # waiting for a real process to listen
            log = (self._folder / "redis.log").read_text(errors="replace")[-500:]
            pytest.fail(
                f"private redis-server on port {self.port} did not start: {log}"
            )
        finally:
            client.close()
