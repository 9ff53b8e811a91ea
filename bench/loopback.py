"""A loopback fleet for the crawl benchmark: N hosts on 127.0.1.x served by
as many OpenSSH daemons as needed (16 addresses each), one shared host key
and one client key; plus CPU accounting of those daemons from /proc."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"
PER_SSHD = 16  # OpenSSH's MAX_LISTEN_SOCKS
CLK_TCK = os.sysconf("SC_CLK_TCK")

_CONFIG = """\
Port {port}
{listen}
HostKey {workdir}/host_key
PidFile {workdir}/sshd-{n}.pid
AuthorizedKeysFile {workdir}/client_key.pub
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 1000:30:2000
MaxSessions 100
PrintMotd no
# SHLVL=1: bash skips ~/.bashrc (pyenv init here), as a lean host would
SetEnv SHLVL=1
"""


@dataclass(frozen=True)
class BenchHost:
    name: str
    address: str
    port: int


@dataclass(kw_only=True, frozen=True)
class Fleet:
    """Everything a benchmark child process needs to reach the hosts."""

    workdir: str
    user: str
    key_path: str
    host_key_type: str
    host_key_b64: str
    sshd_pids: tuple[int, ...]
    hosts: tuple[BenchHost, ...]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Fleet:
        data = json.loads(path.read_text())
        data["hosts"] = tuple(BenchHost(**h) for h in data["hosts"])
        data["sshd_pids"] = tuple(data["sshd_pids"])
        return cls(**data)


def addresses(count: int) -> list[str]:
    """127.0.1.1 ... 127.0.1.254, then 127.0.2.1 ..."""
    return [f"127.0.{1 + i // 254}.{1 + i % 254}" for i in range(count)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True
    )


def _banner(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _argv(config: Path, idle_procs: int) -> list[str]:
    """sshd in a PID namespace of its own with ``idle_procs`` sleeping processes.

    Every loopback host shares one kernel, so without this each host's
    process list would hold every sshd session of the whole fleet (two
    per host): the readings, and their parsing, would grow with the fleet.
    In its own namespace a host lists its sshd, its sessions and the idle
    processes, about what a small VM runs.
    """
    start = (
        f"i=0; while [ $i -lt {idle_procs} ]; do sleep 86400 & i=$((i+1)); done; "
        f"exec {SSHD} -D -e -f {config}"
    )
    # --kill-child: the namespace dies with us, even when we are killed
    return [
        "unshare",
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "sh",
        "-c",
        start,
    ]


def _launch(
    workdir: Path, n: int, group: list[str], idle_procs: int
) -> tuple[subprocess.Popen[bytes], int]:
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    for _attempt in range(5):
        port = free_port()
        config = workdir / f"sshd-{n}.conf"
        listen = "\n".join(f"ListenAddress {a}" for a in group)
        config.write_text(
            _CONFIG.format(port=port, listen=listen, workdir=workdir, n=n)
        )
        log = (workdir / f"sshd-{n}.log").open("wb")
        proc = subprocess.Popen(_argv(config, idle_procs), stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if all(_banner(a, port) for a in (group[0], group[-1])):
                return proc, port
            time.sleep(0.02)
        proc.kill()
        proc.wait()
    raise RuntimeError(f"sshd {n} did not start; see {workdir}/sshd-{n}.log")


def start_fleet(
    workdir: Path, count: int, idle_procs: int = 150
) -> tuple[Fleet, list[subprocess.Popen[bytes]]]:
    workdir.mkdir(parents=True, exist_ok=True)
    _keygen(workdir / "host_key")
    _keygen(workdir / "client_key")
    key_type, blob = (workdir / "host_key.pub").read_text().split()[:2]
    procs: list[subprocess.Popen[bytes]] = []
    hosts: list[BenchHost] = []
    all_addresses = addresses(count)
    for n, start in enumerate(range(0, count, PER_SSHD)):
        group = all_addresses[start : start + PER_SSHD]
        proc, port = _launch(workdir, n, group, idle_procs)
        procs.append(proc)
        hosts += [
            BenchHost(f"h{len(hosts) + i + 1:04d}", a, port)
            for i, a in enumerate(group)
        ]
    fleet = Fleet(
        workdir=str(workdir),
        user=os.environ.get("USER", "root"),
        key_path=str(workdir / "client_key"),
        host_key_type=key_type,
        host_key_b64=blob,
        sshd_pids=tuple(p.pid for p in procs),
        hosts=tuple(hosts),
    )
    return fleet, procs


def stop_fleet(procs: list[subprocess.Popen[bytes]]) -> None:
    # unshare ignores SIGTERM while it waits; SIGKILL makes --kill-child
    # take its namespace down, every sshd session and idle process with it
    for proc in procs:
        proc.kill()
    for proc in procs:
        proc.wait()


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, utime+stime+cutime+cstime in seconds) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return int(fields[1]), ticks / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """CPU of one live process and its reaped children; 0.0 once it is gone."""
    stat = _stat(pid)
    return stat[1] if stat is not None else 0.0


def tree_cpu_seconds(roots: tuple[int, ...]) -> float:
    """CPU of ``roots`` and all their descendants, reaped children included.

    A finished command's CPU lands in its parent's cutime once reaped, so
    live processes' own and children's times together cover the tree.
    """
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (s := _stat(int(entry))) is not None:
            stats[int(entry)] = s
    members, frontier = set(roots), set(roots)
    while frontier:
        frontier = {p for p, (pp, _) in stats.items() if pp in frontier} - members
        members |= frontier
    return sum(stats[p][1] for p in members if p in stats)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
