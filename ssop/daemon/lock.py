"""One daemon per SQLite file: an flock on ``<dbfile>.daemon.lock``.

The kernel drops the lock when the process ends, crash or not, so a stale
lock file never blocks a restart. MySQL/MariaDB stores take no lock: several
daemons may share one.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from ssop.core.errors import Conflict, StoreError

log = logging.getLogger(__name__)


def lock_path(db_file: Path) -> Path:
    return db_file.with_name(db_file.name + ".daemon.lock")


class DaemonLock:
    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.path = lock_path(db_file)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock for this process's lifetime (or until ``release``).

        Raises:
            Conflict: another daemon holds it; the message names its pid.
            StoreError: the lock file cannot be created.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise StoreError(
                f"cannot create the daemon lock {self.path} ({e.strerror})"
            ) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise Conflict(
                f"another ssop daemon (pid {holder}) is already running "
                f"on {self.db_file}",
                hint="one daemon per SQLite store; use MySQL/MariaDB to run several",
            ) from e
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        log.debug("daemon: holding %s", self.path)

    def release(self) -> None:
        # The file stays: unlinking it would let a newcomer lock a fresh inode
        # while a third process still waits on the old one.
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
