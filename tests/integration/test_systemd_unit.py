"""The shipped systemd unit passes systemd-analyze verify without a word.

verify exits 0 on warnings, so any output at all fails the test. It also
checks that ExecStart's binary exists, so the copy under test runs this
venv's python instead of /opt/ssop/venv/bin/ssop. It does not resolve User=
(checked: a unit naming a missing user verifies silently); the sysusers file
that creates the user is checked on its own with systemd-sysusers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ssop.core.config.loader import resolve_paths
from tests.support.processes import ROOT

UNIT = ROOT / "systemd" / "ssop-daemon.service"
SYSUSERS = ROOT / "systemd" / "ssop.sysusers.conf"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} not found: install the Debian package systemd", pytrace=False
        )
    return path


def verify(unit_text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    unit = folder / "ssop-daemon.service"
    here = f"ExecStart={sys.executable} -m ssop daemon"
    unit.write_text(re.sub(r"(?m)^ExecStart=.*$", here, unit_text))
    return subprocess.run(
        [tool("systemd-analyze"), "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_the_unit_verifies_with_no_output_at_all(tmp_path: Path) -> None:
    result = verify(UNIT.read_text(), tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_verify_does_complain_about_a_broken_unit(tmp_path: Path) -> None:
    broken = UNIT.read_text().replace("ProtectSystem=", "ProtectSystm=")
    result = verify(broken, tmp_path)
    assert "Unknown key 'ProtectSystm'" in result.stdout + result.stderr


def test_the_unit_sets_what_the_daemon_relies_on() -> None:
    d = directives(UNIT.read_text())
    expected = {
        "Type": ["notify"],
        "NotifyAccess": ["main"],
        "WatchdogSec": ["60"],
        "Restart": ["on-failure"],
        "User": ["ssop"],
        "Group": ["ssop"],
        "StateDirectory": ["ssop"],
        "ReadWritePaths": ["/var/lib/ssop"],
        "NoNewPrivileges": ["yes"],
        "ProtectSystem": ["strict"],
        "ProtectHome": ["yes"],
        "PrivateTmp": ["yes"],
        "KillSignal": ["SIGTERM"],
        "TimeoutStopSec": ["15"],
        "ExecStart": ["/opt/ssop/venv/bin/ssop daemon"],
    }
    assert {k: d.get(k) for k in expected} == expected
    assert set(d["Environment"]) >= {
        "XDG_CONFIG_HOME=/etc",
        "XDG_DATA_HOME=/var/lib",
        "XDG_STATE_HOME=/var/lib/ssop/state",
    }


def test_the_sysusers_file_creates_the_ssop_user(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    result = subprocess.run(
        [tool("systemd-sysusers"), f"--root={tmp_path}", "--dry-run", str(SYSUSERS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Creating group 'ssop'" in output
    assert "Creating user 'ssop' (ssop daemon)" in output


def test_the_units_environment_puts_files_where_the_readme_says() -> None:
    env = dict(v.split("=", 1) for v in directives(UNIT.read_text())["Environment"])
    paths = resolve_paths(env, system_config=Path("/nonexistent"))
    assert paths.config_file == Path("/etc/ssop/config.toml")
    assert paths.secret_key_file == Path("/etc/ssop/secret.key")
    assert paths.default_database == Path("/var/lib/ssop/ssop.db")
    assert paths.state_dir == Path("/var/lib/ssop/state/ssop")
