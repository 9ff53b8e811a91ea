"""The shipped systemd unit passes systemd-analyze verify without a word,
and the install steps of systemd/README.md work as written.

verify exits 0 on warnings, so any output at all fails the test. It also
checks that ExecStart's binary exists, so the copy under test runs this
venv's python instead of /opt/ssop/venv/bin/ssop. It does not resolve User=
(checked: a unit naming a missing user verifies silently); the sysusers file
that creates the user is checked on its own with systemd-sysusers.

The install test runs the README's steps in order, as root, with a
throw-away user and folder standing in for ssop and /: all but pip (no
package index here) and systemctl/journalctl (no systemd as PID 1).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.config.loader import resolve_paths
from tests.support.processes import ROOT

UNIT = ROOT / "systemd" / "ssop-daemon.service"
SYSUSERS = ROOT / "systemd" / "ssop.sysusers.conf"
README = ROOT / "systemd" / "README.md"
NOT_HERE = ("systemctl ", "journalctl ")  # need systemd as PID 1
PIP_INSTALL = "/opt/ssop/venv/bin/pip install "
# root's PATH on Debian: the steps' python3 is the system one, as an admin's is
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV = {"PATH": ROOT_PATH, "APP_INIT_SECRET": "Init-Secret-1"}


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
        "StateDirectoryMode": ["0700"],
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


def install_steps() -> list[str]:
    """The commands of the first ``sh`` block under "## Install", in order."""
    text = README.read_text().split("## Install", 1)[1]
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def localize(command: str, root: Path, user: str) -> str:
    """The same command with a throw-away user, and /etc, /opt and /var/lib
    below ``root``."""
    owner = r"(?<=-[ogu] )ssop\b|(?<=nologin )ssop$|(?<=User=)ssop$|(?<=Group=)ssop$"
    command = re.sub(owner, user, command, flags=re.M)
    return re.sub(r"(?<![\w/])/(etc|opt|var/lib)\b", lambda m: f"{root}{m[0]}", command)


def link_checkout(venv: Path) -> None:
    """Stands in for ``pip install '.[mysql]'`` (no package index here): the
    new venv sees this checkout and the test venv's packages, and gets the
    ``ssop`` script pip would write."""
    site = sysconfig.get_path("purelib")
    (venv / "lib" / "python3.11" / "site-packages" / "checkout.pth").write_text(
        f"import site; site.addsitedir({site!r})\n"
    )
    script = venv / "bin" / "ssop"
    script.write_text(f"#!{venv}/bin/python\nfrom ssop.cli.main import run\nrun()\n")
    script.chmod(0o755)


def run_step(command: str, env: dict[str, str]) -> None:
    for _ in range(20):  # parallel runs: useradd/userdel wait for the passwd lock
        done = subprocess.run(
            ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if "cannot lock" not in done.stderr:
            break
        time.sleep(0.2)  # a lock held by another test process: no clock to fake
    assert done.returncode == 0, f"{command}\n{done.stderr}"


@pytest.fixture
def user() -> Iterator[str]:
    name = f"ssopt{uuid.uuid4().hex[:8]}"  # unique: tests may run in parallel
    yield name
    for tool in ("userdel", "groupdel"):  # the group goes with the user, or here
        subprocess.run([tool, name], capture_output=True)
    subprocess.run(["bash", "-c", f"! id {name}"], check=True, capture_output=True)


@pytest.fixture
def root() -> Iterator[Path]:
    """Stands in for /: outside pytest's tmp, which is 0700 to other users."""
    folder = Path(tempfile.mkdtemp(prefix="ssop-systemd-"))
    folder.chmod(0o755)
    (folder / "etc" / "systemd" / "system").mkdir(parents=True)
    (folder / "var" / "lib").mkdir(parents=True)
    yield folder
    shutil.rmtree(folder)


def owner(path: Path) -> tuple[str, str, int]:
    info = path.stat()
    return (
        pwd.getpwuid(info.st_uid).pw_name,
        grp.getgrgid(info.st_gid).gr_name,
        stat.S_IMODE(info.st_mode),
    )


def run_readme_steps(root: Path, user: str) -> list[str]:
    """Every step this machine allows, in order; the systemctl/journalctl ones."""
    skipped = []
    for step in install_steps():
        if step.startswith(NOT_HERE):
            skipped.append(step)
        elif step.startswith(PIP_INSTALL):
            assert step.removeprefix(PIP_INSTALL).startswith("'.")  # the checkout
            link_checkout(root / "opt" / "ssop" / "venv")
        else:
            run_step(localize(step, root, user), ENV)
    return skipped


@pytest.mark.slow
def test_the_readme_steps_install_a_working_ssop(root: Path, user: str) -> None:
    if os.geteuid() != 0:
        pytest.fail("the install steps create a user: run this test as root")
    assert run_readme_steps(root, user) == [
        "systemctl daemon-reload",
        "systemctl enable --now ssop-daemon",
        "systemctl status ssop-daemon",
        "journalctl -u ssop-daemon -b",
    ]
    etc, lib = root / "etc" / "ssop", root / "var" / "lib" / "ssop"
    assert owner(etc) == ("root", user, 0o770)
    assert owner(lib) == (user, user, 0o700)
    for made in (etc / "config.toml", etc / "secret.key", lib / "ssop.db"):
        assert owner(made) == (user, user, 0o600)
    unit = root / "etc" / "systemd" / "system" / "ssop-daemon.service"
    unit.write_text(localize(unit.read_text(), root, user))
    result = subprocess.run(
        [tool("systemd-analyze"), "verify", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    as_ssop = next(s for s in install_steps() if s.startswith("runuser"))
    run_step(localize(as_ssop.replace(" init", " health"), root, user), ENV)


def test_nothing_is_installed_from_a_package_index() -> None:
    # ssop is not published: every install goes through the checkout
    text = README.read_text() + UNIT.read_text() + (ROOT / "README.md").read_text()
    assert not re.findall(r"pipx? install\s+['\"]?ssop\b", text)
