"""The failed-login reading, run for real by ``sh`` on fixture logs this test writes.

The syslog files are written under tmp_path and ``journalctl`` is a shim
first on PATH that serves entries from a fixture, so nothing here reads the
machine's own logs. The script is the one the crawl and get_auth_failures
send; only its journal folder and log paths (arguments) point at fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ssop.core.actions.builtin import NO_MARKER, auth_argv, readings_command
from ssop.core.actions.readings import AuthFailures, Readings, parse_combined
from ssop.core.transport.base import Command

ATTACKER, OTHER = "203.0.113.7", "198.51.100.23"
SHIM = """#!{python}
import json, sys
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
entries = [line.rstrip("\\n").split("\\t", 1) for line in open({entries!r})]
cursor_args = [a for a in args if a.startswith("--after-cursor=")]
after = cursor_args[0].split("=", 1)[1] if cursor_args else None
if after is not None:
    cursors = [c for c, _ in entries]
    entries = entries[cursors.index(after) + 1:] if after in cursors else entries
if "--lines=1" in args:
    entries = entries[-1:]
for _, message in entries:
    print(message)
if entries and "--show-cursor" in args:
    print("-- cursor: " + entries[-1][0])
"""


def sshd_line(message: str, pid: int = 4000) -> str:
    return f"Jan 15 12:00:00 web1 sshd[{pid}]: {message}\n"


def failed(address: str, user: str = "root") -> str:
    return f"Failed password for {user} from {address} port 51234 ssh2"


def read(
    tmp_path: Path,
    marker: str | None = None,
    *,
    lookback: int = 0,
    logs: tuple[str, ...] = ("auth.log",),
    journal: bool = False,
) -> Readings:
    """The crawl's combined command with the failed logins, run locally."""
    script = readings_command(first=False, auth_marker=marker or NO_MARKER).argv[:4]
    argv = auth_argv(
        marker or NO_MARKER,
        lookback,
        script,
        journal_dir=str(tmp_path / ("journal" if journal else "no-journal")),
        logs=tuple(str(tmp_path / name) for name in logs),
    )
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"}
    out = subprocess.run(
        ["sh", "-c", Command(argv).as_shell()],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    return parse_combined(out.stdout, None)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    (tmp_path / "bin").mkdir()
    path = tmp_path / "auth.log"
    path.write_text(sshd_line(failed(ATTACKER)) * 2)
    return path


def test_a_first_crawl_counts_nothing_and_remembers_where_the_log_ends(
    tmp_path: Path, log: Path
) -> None:
    first = read(tmp_path)
    assert first.auth_failures == ()
    assert first.auth_marker == f"f:{log.stat().st_ino}:{log.stat().st_size}"


def test_later_crawls_count_only_new_lines_per_source_address(
    tmp_path: Path, log: Path
) -> None:
    marker = read(tmp_path).auth_marker
    with log.open("a") as f:
        f.write(sshd_line(failed(ATTACKER)) * 3)
        f.write(sshd_line(f"Invalid user admin from {OTHER} port 4242"))
        f.write(f"Jan 15 12:00:01 web1 sudo[5]: {failed('192.0.2.99')}\n")
        f.write(sshd_line(f"Accepted publickey for root from {OTHER} port 1 ssh2"))
    later = read(tmp_path, marker)
    assert later.auth_failures == (AuthFailures(ATTACKER, 3), AuthFailures(OTHER, 1))
    assert read(tmp_path, later.auth_marker).auth_failures == ()


def test_a_rotated_log_is_read_from_its_start(tmp_path: Path, log: Path) -> None:
    marker = read(tmp_path).auth_marker
    log.rename(tmp_path / "auth.log.1")
    log.write_text(sshd_line(failed(OTHER)))
    assert read(tmp_path, marker).auth_failures == (AuthFailures(OTHER, 1),)


def test_text_an_attacker_controls_cannot_name_another_address(
    tmp_path: Path, log: Path
) -> None:
    marker = read(tmp_path).auth_marker
    framing = [
        # the user name is attacker text; the real address comes after it
        failed(ATTACKER, user="x from 192.0.2.1 port 22 ssh2"),
        f"Invalid user IGNORE_RULES_block_10.0.0.1 from {ATTACKER} port 2",
        # a client's disconnect message is attacker text too: not a failure
        f"Received disconnect from {OTHER} port 5:11: {failed('192.0.2.2')} [preauth]",
        "Failed password for root from not-an-address port 22 ssh2",
    ]
    with log.open("a") as f:
        f.writelines(sshd_line(m) for m in framing)
    assert read(tmp_path, marker).auth_failures == (AuthFailures(ATTACKER, 2),)


def test_without_a_marker_a_manual_run_looks_at_the_last_lines(
    tmp_path: Path, log: Path
) -> None:
    readings = read(tmp_path, lookback=600, logs=("missing.log", "auth.log"))
    assert readings.auth_failures == (AuthFailures(ATTACKER, 2),)


def test_no_readable_log_and_no_journal_is_not_a_count(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    readings = read(tmp_path, logs=("auth.log", "secure"))
    assert readings.auth_failures is None and readings.auth_marker is None


def test_the_journal_is_read_after_the_previous_cursor(tmp_path: Path) -> None:
    bin_dir, calls = tmp_path / "bin", tmp_path / "journalctl.calls"
    bin_dir.mkdir()
    (tmp_path / "journal").mkdir()
    entries = tmp_path / "entries"
    entries.write_text(f"s=1;i=1\t{failed(ATTACKER)}\ns=1;i=2\t{failed(ATTACKER)}\n")
    shim = bin_dir / "journalctl"
    shim.write_text(
        SHIM.format(python=sys.executable, log=str(calls), entries=str(entries))
    )
    shim.chmod(0o755)

    first = read(tmp_path, journal=True)
    assert (first.auth_failures, first.auth_marker) == ((), "j:s=1;i=2")
    with entries.open("a") as f:
        f.write(f"s=1;i=3\t{failed(ATTACKER)}\n")
        f.write(f"s=1;i=4\tInvalid user bob from {OTHER} port 9\n")
    second = read(tmp_path, first.auth_marker, journal=True)
    assert second.auth_failures == (AuthFailures(OTHER, 1), AuthFailures(ATTACKER, 1))
    assert second.auth_marker == "j:s=1;i=4"
    quiet = read(tmp_path, second.auth_marker, journal=True)
    assert (quiet.auth_failures, quiet.auth_marker) == ((), None)

    args = [json.loads(line) for line in calls.read_text().splitlines()]
    assert args[0][-1] == "--lines=1" and args[1][-1] == "--after-cursor=s=1;i=2"
    assert all(a[:7] == JOURNAL_ARGS for a in args)


JOURNAL_ARGS = [
    "--quiet",
    "--no-pager",
    "--output=cat",
    "--show-cursor",
    "-t",
    "sshd",
    "-t",
]
