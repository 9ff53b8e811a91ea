"""``ssop init`` as a separate process where it cannot do its job: a folder it
may not write, no terminal to ask the password on. One ``ssop: error:`` line
with a hint, the documented exit code, no traceback or warning, nothing left
behind. Root may write anywhere, so the first test drops to ``nobody``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ssop.core.errors import ExitCode
from tests.support.processes import ROOT

NOBODY = 65534


def run_ssop(
    args: Sequence[str], env: dict[str, str], prefix: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """``python -m ssop ARGS`` in a session of its own: no controlling terminal."""
    base = {k: os.environ[k] for k in ("PATH", "LANG") if k in os.environ}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "ssop", *args],
        cwd=ROOT,
        env={**base, "PYTHONPATH": str(ROOT), **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=True,
    )


def xdg(base: Path) -> dict[str, str]:
    return {
        "HOME": str(base),
        "XDG_CONFIG_HOME": str(base / "config"),
        "XDG_DATA_HOME": str(base / "data"),
        "XDG_STATE_HOME": str(base / "state"),
    }


@pytest.fixture
def readonly_home() -> Iterator[Path]:
    """A folder others may read but not write (outside pytest's 0700 tmp)."""
    base = Path(tempfile.mkdtemp(prefix="ssop-readonly-"))
    base.chmod(0o755 if os.geteuid() == 0 else 0o555)
    yield base
    base.chmod(0o755)
    shutil.rmtree(base)


def as_unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv not found: install the Debian package util-linux")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def test_init_in_folders_it_cannot_write(readonly_home: Path) -> None:
    env = {**xdg(readonly_home), "APP_INIT_SECRET": "pw"}
    result = run_ssop(["init"], env, as_unprivileged())
    assert result.returncode == ExitCode.PERMISSION_DENIED, result.stderr
    config = readonly_home / "config" / "ssop" / "config.toml"
    assert result.stderr.splitlines() == [
        f"ssop: error: cannot create the config file {config}: {readonly_home} "
        "is not writable by this user",
        "ssop: hint: run ssop init as the user who will own these files (see "
        "systemd/README.md), or choose other folders (--config, XDG_CONFIG_HOME, "
        "XDG_DATA_HOME, database.url)",
    ]
    assert result.stdout == "" and os.listdir(readonly_home) == []


def test_init_without_a_terminal_asks_for_the_password_on_stdin(
    tmp_path: Path,
) -> None:
    result = run_ssop(["init"], xdg(tmp_path))
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.splitlines() == [
        "ssop: error: cannot ask for the password for sysadmin: standard input "
        "is not a terminal; use --admin-password-stdin or APP_INIT_SECRET",
    ]
    assert result.stdout == ""
    assert not (tmp_path / "config").exists() and not (tmp_path / "data").exists()
