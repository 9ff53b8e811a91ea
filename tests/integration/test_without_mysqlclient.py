"""ssop installed without its mysql extra: the SQLite default works, and a
MySQL URL fails in one line naming the extra (exit 2), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ssop.core.errors import ExitCode
from tests.support.processes import ROOT

# ``import MySQLdb`` raises ImportError once its sys.modules entry is None
WITHOUT_DRIVER = (
    "import sys\n"
    "sys.modules['MySQLdb'] = None\n"
    "from ssop.cli.main import run\n"
    "sys.argv[0] = 'ssop'\n"
    "run()\n"
)


def ssop(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: os.environ[k] for k in ("PATH", "LANG") if k in os.environ}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DRIVER, *args],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_sqlite_default_needs_no_mysql_driver(
    isolated_env: dict[str, str],
) -> None:
    result = ssop({**isolated_env, "APP_INIT_SECRET": "first-password"}, "init")
    assert result.returncode == 0, result.stderr
    assert ssop(isolated_env, "health").returncode == 0


def test_a_mysql_url_without_the_driver_names_the_extra(
    isolated_env: dict[str, str], tmp_path: Path
) -> None:
    url = "mysql+mysqldb://root:hunter2@127.0.0.1:3306/ssop"
    for command in (["health"], ["init"], ["server", "list"]):
        result = ssop({**isolated_env, "SSOP_DATABASE_URL": url}, *command)
        assert result.returncode == ExitCode.USAGE, result.stderr
        assert result.stderr.splitlines() == [
            "ssop: error: the MySQL driver (mysqlclient) is not installed",
            "ssop: hint: install ssop with its mysql extra: pip install -e "
            "'.[mysql]' (needs pkg-config, libmariadb-dev and a C compiler)",
        ]
