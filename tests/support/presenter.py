"""Loopback hosts that present a situation: their own /proc, df, units and auth log.

One test sshd listens on several loopback addresses, one host each. Its
shim directory (first on PATH) holds stand-ins that look up the address
the client connected to (``SSH_CONNECTION``) and answer from that host's
folder, which the test writes before each crawl:

- ``sh``: lets ssop's remote-deadline wrapper through untouched (it calls
  ``sh`` again for the command it guards); runs ssop's readings script
  with ``/proc/``, ``/var/log/`` and ``/run/systemd/`` pointing into the
  host's folder (so even the shell's own ``read < /proc/loadavg`` sees the
  presented load); the change scripts
  (kill, cleanups, block, reboot) are recorded and answered, never run;
  anything else runs in the real ``/bin/sh``;
- ``df``: prints the host's file systems;
- ``systemctl``: lists the host's failed units; restart/start clear one.

``firewall-cmd``, ``reboot`` and the rest stay the recording shims every
test sshd has. Nothing here reads or changes the machine's own state.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ssop.core.transport.remote_deadline import WRAPPER_SCRIPT
from tests.support.shims import ShimDir

_PYTHON = f"{sys.executable} -S"
HZ = 100
INTERVAL_S = 60  # what one crawl interval means for the presented counters
PAGE_KB = 4

_HEAD = """#!{python}
import json, os, sys
BASE, LOG, WRAPPER = {base!r}, {log!r}, {wrapper!r}
args = sys.argv[1:]
conn = os.environ.get("SSH_CONNECTION", "").split()
root = os.path.join(BASE, conn[2]) if len(conn) == 4 else ""
def record(argv):
    with open(LOG, "a") as log:
        log.write(json.dumps({{"argv": argv, "host": conn[2] if conn else ""}}) + "\\n")
"""

_SH = (
    _HEAD
    + """CHANGES = ("kill -s TERM", "-delete", "firewall-cmd", "reboot")
def point(text):
    for top in ("/proc/", "/var/log/", "/run/systemd/"):
        text = text.replace(top, root + top)
    return text
if root and len(args) >= 2 and args[0] == "-c" and args[1] != WRAPPER:
    if "==ssop:" in args[1]:
        args = ["-c", *(point(a) for a in args[1:])]
    elif any(c in args[1] for c in CHANGES):
        record(["sh", "-c", args[1].splitlines()[0], *args[2:]])
        print("done (recorded by the presenting shim)")
        sys.exit(0)
os.execv("/bin/sh", ["sh", *args])
"""
)

_DF = (
    _HEAD
    + """record(["df", *args])
with open(os.path.join(root, "df")) as f:
    sys.stdout.write(f.read())
"""
)

_SYSTEMCTL = (
    _HEAD
    + """record(["systemctl", *args])
failed = os.path.join(root, "failed")
if args[:1] == ["list-units"] and "--state=failed" in args:
    for unit in sorted(os.listdir(failed)):
        print(unit, "loaded failed failed", unit)
elif args[:1] in (["restart"], ["start"]):
    for name in args[1:]:
        unit = name if "." in name else name + ".service"
        if name != "--" and os.path.exists(os.path.join(failed, unit)):
            os.remove(os.path.join(failed, unit))
"""
)


@dataclass(frozen=True)
class FakeProc:
    """One process: ``busy`` is the share of one core it uses between crawls."""

    pid: int
    name: str
    busy: float = 0.0
    rss_kb: int = 20_000


@dataclass(frozen=True)
class Mount:
    mount: str
    percent: float
    source: str = "/dev/vda1"
    size_kb: int = 20_000_000


@dataclass(frozen=True)
class Presented:
    """What a host shows at one crawl. ``fail``/``recover``: units that fail or
    come back now (a restart also brings one back); ``auth``: log lines
    appended since the previous crawl."""

    procs: tuple[FakeProc, ...]
    mounts: tuple[Mount, ...]
    cores: int = 2
    load1: float = 0.3
    mem_total_kb: int = 4_000_000
    mem_available_kb: int = 2_400_000
    swap_total_kb: int = 2_000_000
    swap_used_kb: int = 0
    fail: tuple[str, ...] = ()
    recover: tuple[str, ...] = ()
    auth: tuple[str, ...] = ()


@dataclass
class HostFolder:
    """One host's presented state on disk, with counters that keep counting."""

    root: Path
    total: int = 0
    idle: int = 0
    ticks: dict[int, int] = field(default_factory=dict)

    def present(self, p: Presented) -> None:
        self._cpu(p)
        proc = self.root / "proc"
        for name, text in _proc_files(p, self.total, self.idle).items():
            (proc / name).write_text(text)
        self._processes(p)
        (self.root / "df").write_text(_df(p.mounts))
        for unit in p.fail:
            (self.root / "failed" / unit).touch()
        for unit in p.recover:
            (self.root / "failed" / unit).unlink(missing_ok=True)
        with (self.root / "var/log/auth.log").open("a") as log:
            log.writelines(line + "\n" for line in p.auth)

    def _cpu(self, p: Presented) -> None:
        span = INTERVAL_S * HZ
        busy = sum(int(proc.busy * span) for proc in p.procs)
        self.total += p.cores * span
        self.idle += max(0, p.cores * span - busy)
        for proc in p.procs:
            self.ticks[proc.pid] = self.ticks.get(proc.pid, 0) + int(proc.busy * span)

    def _processes(self, p: Presented) -> None:
        proc = self.root / "proc"
        for old in proc.iterdir():
            if old.is_dir():
                shutil.rmtree(old)
        for fake in p.procs:
            (proc / str(fake.pid)).mkdir()
            stat = _pid_stat(fake, self.ticks.get(fake.pid, 0))
            (proc / str(fake.pid) / "stat").write_text(stat)


def _proc_files(p: Presented, total: int, idle: int) -> dict[str, str]:
    per_core = [
        f"cpu{i} {total // p.cores} 0 0 {idle // p.cores}" for i in range(p.cores)
    ]
    swap_free = p.swap_total_kb - p.swap_used_kb
    return {
        "loadavg": f"{p.load1:.2f} {p.load1:.2f} {p.load1:.2f} 1/200 4242\n",
        "uptime": "86400.00 160000.00\n",
        "stat": "\n".join([f"cpu  {total - idle} 0 0 {idle} 0 0 0 0 0 0", *per_core])
        + "\n",
        "meminfo": (
            f"MemTotal: {p.mem_total_kb} kB\nMemFree: {p.mem_available_kb // 2} kB\n"
            f"MemAvailable: {p.mem_available_kb} kB\n"
            f"SwapTotal: {p.swap_total_kb} kB\nSwapFree: {swap_free} kB\n"
        ),
    }


def _pid_stat(p: FakeProc, ticks: int) -> str:
    # fields after the state: ppid ... utime(10) stime(11) ... starttime(18) rss(20)
    fields = [1, p.pid, p.pid, 0, -1, 4194560, 0, 0, 0, 0, ticks, 0, 0, 0, 20, 0]
    fields += [1, 0, 1000 + p.pid, 104857600, p.rss_kb // PAGE_KB] + [0] * 10
    return f"{p.pid} ({p.name}) S {' '.join(str(f) for f in fields)}\n"


def _df(mounts: Sequence[Mount]) -> str:
    lines = ["Filesystem     1024-blocks      Used Available Capacity Mounted on"]
    for m in mounts:
        used = int(m.size_kb * m.percent / 100)
        cap = f"{round(m.percent)}%"
        lines.append(
            f"{m.source} {m.size_kb} {used} {m.size_kb - used} {cap} {m.mount}"
        )
    return "\n".join(lines) + "\n"


class Presenter:
    """The folders of every presenting host, and the shims that serve them."""

    def __init__(self, base: Path, shims: ShimDir) -> None:
        self.base = base
        self.shims = shims
        self.hosts: dict[str, HostFolder] = {}

    def install(self) -> None:
        """(Re)install the serving shims next to the recording ones."""
        self.shims.reset()
        fill = {
            "python": _PYTHON,
            "base": str(self.base),
            "log": str(self.shims.log),
            "wrapper": WRAPPER_SCRIPT,
        }
        for name, text in (("sh", _SH), ("df", _DF), ("systemctl", _SYSTEMCTL)):
            target = self.shims.path / name
            target.write_text(text.format(**fill))
            target.chmod(0o755)

    def host(self, address: str) -> HostFolder:
        """A fresh folder for the host at ``address``."""
        root = self.base / address
        shutil.rmtree(root, ignore_errors=True)
        for sub in ("proc", "failed", "var/log"):
            (root / sub).mkdir(parents=True)
        (root / "var/log/auth.log").write_text("")
        self.hosts[address] = HostFolder(root)
        return self.hosts[address]

    def changes(self, address: str) -> list[list[str]]:
        """The change commands run on ``address``, as recorded."""
        if not self.shims.log.exists():
            return []
        rows = [json.loads(line) for line in self.shims.log.read_text().splitlines()]
        return [r["argv"] for r in rows if r.get("host") == address and _changed(r)]


def _changed(row: dict[str, object]) -> bool:
    argv = row["argv"]
    assert isinstance(argv, list)
    if argv[0] == "sh":
        return True
    return argv[0] in ("firewall-cmd", "reboot") or argv[:2] in (
        ["systemctl", "restart"],
        ["systemctl", "start"],
        ["systemctl", "stop"],
        ["systemctl", "reboot"],
    )
