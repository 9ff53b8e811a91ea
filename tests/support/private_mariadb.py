"""A MariaDB server of the test's own, to stop and start at will.

The shared server on 3306 serves every test run at once, so outage tests
never touch it: ``PrivateMariaDB`` installs a data directory under the test's
temporary folder (mariadb-install-db, ~3 s) and runs ``mariadbd`` on a free
loopback port with its own socket and pid file.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.sshd import free_port

MARIADBD = Path("/usr/sbin/mariadbd")
START_TIMEOUT_S = 20.0


class PrivateMariaDB:
    def __init__(self, workdir: Path) -> None:
        for tool in ("mariadb-install-db", "mariadb-admin"):
            if shutil.which(tool) is None or not MARIADBD.exists():
                pytest.fail(
                    f"{tool} or {MARIADBD} is missing: install the Debian package "
                    "mariadb-server",
                    pytrace=False,
                )
        self.dir = workdir
        self.data = workdir / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._install()

    @property
    def server_url(self) -> str:
        return f"mysql+mysqldb://root@127.0.0.1:{self.port}"

    def _install(self) -> None:
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--user=root",
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        log = (self.dir / "mariadbd.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(MARIADBD),
                "--no-defaults",
                f"--datadir={self.data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.dir / 'mariadbd.sock'}",
                f"--pid-file={self.dir / 'mariadbd.pid'}",
                "--user=root",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"private mariadbd did not start; see {self.dir}")
            time.sleep(0.05)  # waiting on a real process: no clock to fake

    def _answers(self) -> bool:
        ping = subprocess.run(
            [
                "mariadb-admin",
                "--protocol=tcp",
                "-h127.0.0.1",
                f"-P{self.port}",
                "-uroot",
                "ping",
            ],
            capture_output=True,
        )
        return ping.returncode == 0

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@contextmanager
def running_with_store(folder: Path) -> Iterator[PrivateMariaDB]:
    """A private server, started, with an empty ``ssop`` database; stopped after."""
    server = PrivateMariaDB(folder)
    server.start()
    try:
        engine = create_engine(server.server_url + "/")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE ssop CHARACTER SET utf8mb4"))
        engine.dispose()
        yield server
    finally:
        server.stop()
