"""Run the real built-in scripts on this machine, the way a remote shell would.

Each command goes through ``Command.as_shell()`` and ``sh -c`` exactly as
it would over SSH. The kill and cleanup scripts act only on processes and
files these tests create (unique names, a tmp_path root via the private
roots hook); the PID-1 and file-system tests use Linux namespaces.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ssop.core.actions.builtin import (
    BUILTINS_BY_NAME,
    cleanup_logs_action,
    cleanup_temp_action,
    combined_readings_command,
)
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.readings import clean, parse_combined, parse_two_samples
from ssop.core.actions.render import render_command, validate_params
from ssop.core.actions.spec import ActionSpec
from ssop.core.actions.summary import summarise_get
from ssop.core.transport.base import Command

OLD = time.time() - 10 * 86400


def _render(spec: ActionSpec, **raw: str) -> Command:
    return render_command(
        spec, validate_params(spec, raw, GuardConfig()), use_sudo=False
    )


def _run(
    cmd: Command, *, shell: str = "sh", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shell, "-c", cmd.as_shell()],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def _unique(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:8]  # <= 15 characters: the kernel's comm limit


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, binary: str, *args: str) -> subprocess.Popen[bytes]:
        exe = tmp_path / name
        if not exe.exists():
            shutil.copy(binary, exe)
        proc = subprocess.Popen([str(exe), *args])
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_kill_process_kills_exactly_the_named_process(
    spawn: Callable[..., subprocess.Popen[bytes]],
) -> None:
    name = _unique("ssopk")
    target = spawn(name, "/bin/sleep", "300")
    longer = spawn(name + "x", "/bin/sleep", "300")
    prefixed = spawn("x" + name, "/bin/sleep", "300")
    result = _run(_render(BUILTINS_BY_NAME["kill_process"], process=name))
    assert (result.returncode, result.stdout) == (
        0,
        f"killed 1 process(es) named {name}\n",
    )
    assert target.wait(timeout=10) == -15
    assert longer.poll() is None and prefixed.poll() is None
    again = _run(_render(BUILTINS_BY_NAME["kill_process"], process=name))
    assert (again.returncode, again.stdout) == (
        1,
        f"killed 0 process(es) named {name}\n",
    )


def test_kill_process_spares_its_own_ancestors(
    spawn: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    name = _unique("ssopa")
    bystander = spawn(name, "/bin/dash", "-c", "sleep 300; :")
    _wait_for_comm(_child_of(bystander.pid), "sleep")  # its fork was named too
    cmd = _render(BUILTINS_BY_NAME["kill_process"], process=name)
    # The login shell carries the target's name and, with the trailing ":",
    # stays alive as an ancestor instead of exec'ing into the command.
    result = subprocess.run(
        [str(tmp_path / name), "-c", cmd.as_shell() + "\n:"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (
        0,
        f"killed 1 process(es) named {name}\n",
    )
    assert bystander.wait(timeout=10) == -15


def _wait_for_comm(pid: int, comm: str) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}/comm").read_text().strip() != comm:
        if time.monotonic() > deadline:
            raise AssertionError(f"pid {pid} never became {comm}")
        time.sleep(0.01)


def _child_of(pid: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise AssertionError(f"unshare (pid {pid}) started no child")


def test_kill_process_never_signals_pid_1(tmp_path: Path) -> None:
    name = _unique("ssopi")
    shutil.copy("/bin/dash", tmp_path / name)
    init = subprocess.Popen(
        [
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            str(tmp_path / name),
            "-c",
            "sleep 300; :",
        ]
    )
    try:
        ns_pid1 = _child_of(init.pid)
        cmd = _render(BUILTINS_BY_NAME["kill_process"], process=name)
        # Entered from outside, the script's ancestors stop at PPid 0: PID 1
        # (named like the target) is spared only by the explicit rule.
        result = subprocess.run(
            ["nsenter", "-t", str(ns_pid1), "-p", "-m", "sh", "-c", cmd.as_shell()],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert (result.returncode, result.stdout) == (
            1,
            f"killed 0 process(es) named {name}\n",
        )
        assert init.poll() is None
    finally:
        init.kill()
        init.wait()


def _tree(root: Path, files: dict[str, float]) -> None:
    for rel, mtime in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(path, (mtime, mtime))


def _remaining(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() or p.is_symlink()
    }


def test_cleanup_temp_deletes_old_files_only_and_never_follows_symlinks(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    now = time.time()
    _tree(
        root,
        {
            "old.txt": OLD,
            "new.txt": now,
            "sub/old2.txt": OLD,
            "systemd-private-abc/tmp/old3.txt": OLD,
        },
    )
    _tree(outside, {"victim.txt": OLD, "deep/victim2.txt": OLD})
    (root / "to-dir").symlink_to(outside)
    (root / "to-file").symlink_to(outside / "victim.txt")
    (tmp_path / "linked-root").symlink_to(outside)
    spec = cleanup_temp_action(roots=(str(root), str(tmp_path / "linked-root")))
    result = _run(_render(spec, days="2"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("deleted 2 file(s) older than 2 day(s) under ")
    assert _remaining(root) == {
        "new.txt",
        "to-dir",
        "to-file",
        "systemd-private-abc/tmp/old3.txt",
    }
    assert _remaining(outside) == {"victim.txt", "deep/victim2.txt"}


def test_cleanup_never_crosses_into_another_file_system(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _tree(root, {"old.txt": OLD})
    (root / "mnt").mkdir()
    cmd = _render(cleanup_temp_action(roots=(str(root),)), days="2")
    mnt = shlex.quote(str(root / "mnt"))
    line = (
        f"mount -t tmpfs ssoptest {mnt} && touch -d '10 days ago' {mnt}/other-fs.txt"
        f" && {cmd.as_shell()} && ls {mnt}"
    )
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", line], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"deleted 1 file(s) older than 2 day(s) under {root}",
        "other-fs.txt",
    ]


def test_cleanup_logs_deletes_only_old_rotated_logs(tmp_path: Path) -> None:
    root = tmp_path / "log"
    now = time.time()
    _tree(
        root,
        {
            "syslog": OLD,
            "syslog.1": OLD,
            "syslog.2.gz": OLD,
            "auth.log": OLD,
            "nginx/access.log": OLD,
            "nginx/access.log.14.gz": OLD,
            "nginx/error.log.1": now,
            "messages-20240101": OLD,
            "dpkg.log.old": OLD,
            "Xorg.0.log": OLD,
            "journal/abc/system@x.journal~": OLD,
            "journal/abc/system.journal": OLD,
            "app.log.3.xz": OLD,
        },
    )
    result = _run(_render(cleanup_logs_action(roots=(str(root),)), days="2"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("deleted 6 file(s)")
    assert _remaining(root) == {
        "syslog",
        "auth.log",
        "nginx/access.log",
        "nginx/error.log.1",
        "Xorg.0.log",
        "journal/abc/system@x.journal~",
        "journal/abc/system.journal",
    }


def test_the_combined_script_parses_on_this_machine() -> None:
    first = _run(combined_readings_command())
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith("==ssop:end==")
    r = parse_combined(first.stdout, None)
    assert r.cpu_count == os.cpu_count()  # both count online CPUs
    assert r.memory_percent is not None and 0 < r.memory_percent < 100
    assert r.load1 is not None and r.uptime_s is not None and r.uptime_s > 0
    assert any(d.mount == "/" for d in r.disks)
    assert r.systemd is not None
    mine = {p.pid: p for p in r.process_ticks}
    assert os.getpid() in mine and mine[os.getpid()].rss_kb > 1000
    second = parse_combined(_run(combined_readings_command()).stdout, r.baseline())
    assert second.cpu_counters is not None and r.cpu_counters is not None
    assert second.cpu_counters.total >= r.cpu_counters.total
    assert second.cpu_percent is None or 0.0 <= second.cpu_percent <= 100.0


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("get_cpu_usage", "cpu: "),
        ("get_memory_usage", "memory: "),
        ("get_disk_usage", "disk /: "),
        ("get_system_load", "load: "),
        ("get_uptime", "uptime: "),
        ("get_failed_services", "failed units: "),
        ("get_top_processes", "      PID   CPU%        RSS  NAME"),
    ],
)
def test_each_get_action_runs_alone_and_reads_well(name: str, expect: str) -> None:
    result = _run(_render(BUILTINS_BY_NAME[name]))
    assert result.returncode == 0, result.stderr
    text = summarise_get(name, result.stdout)
    assert any(line.startswith(expect) for line in text.splitlines()), text


def test_top_processes_alone_measures_cpu() -> None:
    result = _run(_render(BUILTINS_BY_NAME["get_top_processes"]))
    r = parse_two_samples(result.stdout)
    earlier = parse_combined(result.stdout.partition("==ssop:resample==")[0], None)
    seen = {(p.pid, p.start) for p in earlier.process_ticks}
    assert r.cpu_percent is not None and r.top_processes
    starts = {p.pid: p.start for p in r.process_ticks}
    for p in r.top_processes:
        # processes born between the samples have no rate yet
        assert (p.cpu_percent is not None) == ((p.pid, starts[p.pid]) in seen)


@pytest.mark.parametrize("shell", ["dash", "bash"])
@pytest.mark.parametrize("name", sorted(BUILTINS_BY_NAME))
def test_every_builtin_script_is_valid_posix_sh(shell: str, name: str) -> None:
    argv = BUILTINS_BY_NAME[name].command_template or ()
    if argv[:2] != ("sh", "-c"):
        return
    script = argv[2].replace("{{", "{").replace("}}", "}")
    flags = ["--posix", "-n"] if shell == "bash" else ["-n"]
    result = subprocess.run(
        [shell, *flags, "-c", script], capture_output=True, text=True
    )
    assert (result.returncode, result.stderr) == (0, "")


def _fake_bin(tmp_path: Path, *names: str) -> tuple[dict[str, str], Path]:
    """Fake programs that append their argv to a log instead of acting."""
    shim, log = tmp_path / "fakebin", tmp_path / "calls.log"
    shim.mkdir()
    for name in names:
        (shim / name).write_text(
            f'#!/bin/sh\necho "{name} $*" >> {shlex.quote(str(log))}\n'
        )
        (shim / name).chmod(0o755)
    return {"PATH": f"{shim}:/usr/bin:/bin"}, log


@pytest.mark.parametrize(
    ("name", "verb"),
    [("block_ip_firewalld", "add"), ("unblock_ip_firewalld", "remove")],
)
def test_firewall_scripts_pass_the_address_as_one_argument(
    tmp_path: Path, name: str, verb: str
) -> None:
    env, log = _fake_bin(tmp_path, "firewall-cmd")
    result = _run(_render(BUILTINS_BY_NAME[name], ip="2001:db8::7"), env=env)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        f"firewall-cmd --quiet --zone=drop --{verb}-source=2001:db8::7",
        f"firewall-cmd --quiet --permanent --zone=drop --{verb}-source=2001:db8::7",
    ]


def test_reboot_prefers_systemctl(tmp_path: Path) -> None:
    env, log = _fake_bin(tmp_path, "systemctl", "reboot")  # never the real ones
    result = _run(_render(BUILTINS_BY_NAME["reboot_system"]), env=env)
    assert result.returncode == 0, result.stderr
    assert log.read_text() == "systemctl reboot\n"


@pytest.mark.parametrize(
    "name", [b"\n==ssop:df==\n", b"a) R 1 2 3\n", b"\x1c==ssop:x==\x1c"]
)
def test_a_process_cannot_hide_or_fake_sections_by_its_name(name: bytes) -> None:
    code = (
        "import ctypes, sys, time\n"
        f"ctypes.CDLL(None).prctl(15, {name!r}, 0, 0, 0)\n"  # PR_SET_NAME
        "print('ready', flush=True)\n"
        "time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        out = _run(combined_readings_command()).stdout
        assert name.decode() + ")" in out  # the raw name did reach the output
        r = parse_combined(out, None)
        named = {p.pid: p.name for p in r.process_ticks}
        assert named[proc.pid] == clean(name.decode(), 64)
        assert any(d.mount == "/" for d in r.disks)
        assert len(r.process_ticks) > 10
    finally:
        proc.kill()
        proc.wait()


def test_a_failing_df_leaves_its_exit_status_in_the_readings(tmp_path: Path) -> None:
    fakebin = tmp_path / "fakebin"
    fakebin.mkdir()
    (fakebin / "df").write_text(
        "#!/bin/sh\necho 'df: /mnt/nfs: Stale handle' >&2\nexit 3\n"
    )
    (fakebin / "df").chmod(0o755)
    result = _run(combined_readings_command(), env={"PATH": f"{fakebin}:/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    readings = parse_combined(result.stdout, None)
    assert (readings.df_failure, readings.disks) == (3, ())
    assert readings.memory_percent is not None  # the other sections stand
    assert (
        parse_combined(_run(combined_readings_command()).stdout, None).df_failure
        is None
    )
