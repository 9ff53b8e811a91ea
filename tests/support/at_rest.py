"""Every byte a store keeps at rest: the SQLite files, or a MariaDB dump."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


def bytes_at_rest(store_url: str) -> bytes:
    url = make_url(store_url)
    if url.get_backend_name() == "sqlite":
        assert url.database
        db = Path(url.database)
        files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    dump = subprocess.run(
        ["mariadb-dump", "-h", "127.0.0.1", "-u", "root", url.database or ""],
        capture_output=True,
        check=True,
    )
    return dump.stdout
