"""The crawl methods the benchmark compares, each run in its own process.

Each ``run_*`` connects to every host, does warm-up crawls, then measures
``rounds`` steady-state crawls (connections already open) and returns one
JSON-able dict: median wall time per crawl, client CPU and sshd-side CPU
per host-crawl, and memory.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.daemon_run import run_daemon
from bench.loopback import BenchHost, Fleet, rss_mb, tree_cpu_seconds

CONCURRENCY = 64
REFERENCE_SET = (
    "top -bn1",
    "free -m",
    "df -h",
    "uptime",
    "ps aux --sort=-%cpu | head",
    "systemctl list-units --state=failed",
)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _client_cpu() -> float:
    return _cpu(resource.RUSAGE_SELF) + _cpu(resource.RUSAGE_CHILDREN)


def measure(
    crawl: Callable[[], Any],
    fleet: Fleet,
    rounds: int,
    extra_client_cpu: Callable[[], float] = lambda: 0.0,
) -> dict[str, Any]:
    """Time ``rounds`` crawls; medians per round of wall time and of CPU per
    host-crawl on both ends (ms). Medians, because other work on a shared
    box inflates a round now and then."""
    walls, client, sshd = [], [], []
    hosts = len(fleet.hosts)
    for _ in range(rounds):
        client0 = _client_cpu() + extra_client_cpu()
        sshd0 = tree_cpu_seconds(fleet.sshd_pids)
        started = time.perf_counter()
        crawl()
        walls.append(time.perf_counter() - started)
        client.append(1000 * (_client_cpu() + extra_client_cpu() - client0) / hosts)
        sshd.append(1000 * (tree_cpu_seconds(fleet.sshd_pids) - sshd0) / hosts)
    return {
        "wall_s": statistics.median(walls),
        "client_ms": statistics.median(client),
        "sshd_ms": statistics.median(sshd),
        "rss_mb": rss_mb(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# --- ssop ------------------------------------------------------------------


def _ssop_services(
    fleet: Fleet, home_name: str | None = None
) -> tuple[Any, dict[str, str]]:
    """Services on a new embedded store, and the environment that names it."""
    from cryptography.fernet import Fernet

    from ssop.core.config.loader import load_config
    from ssop.core.services import build_services

    home = Path(fleet.workdir) / (home_name or f"ssop-{os.getpid()}")
    environ = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "SSOP_DATABASE_URL": f"sqlite:///{home}/ssop.db",
        "SSOP_SECRET_KEY": Fernet.generate_key().decode(),
    }
    config = load_config(
        environ=environ,
        system_config=Path("/nonexistent"),
        overrides={"daemon.concurrency": CONCURRENCY, "ssh.connect_timeout": 30.0},
    )
    services = build_services(config)
    services.store.upgrade()
    return services, environ


def _register(services: Any, fleet: Fleet) -> None:
    from ssop.core.models import Server
    from ssop.core.store.action_repo import AssignmentRepo
    from ssop.core.store.fleet_repo import FleetRepo
    from ssop.core.transport.keys import fingerprint_of, public_key_fingerprint

    pem = Path(fleet.key_path).read_text()
    ciphertext = services.secret_box().encrypt(pem)
    host_fp = fingerprint_of(fleet.host_key_type, fleet.host_key_b64)
    with services.sessions() as s, s.begin():
        gets = FleetRepo(s).builtin_get_actions()
        links = AssignmentRepo(s)
        for host in fleet.hosts:
            server = Server(
                name=host.name,
                host=host.address,
                port=host.port,
                username=fleet.user,
                key_ciphertext=ciphertext,
                key_fingerprint=public_key_fingerprint(pem),
                host_key_type=fleet.host_key_type,
                host_key=fleet.host_key_b64,
                host_key_fingerprint=host_fp,
            )
            s.add(server)
            s.flush()
            for action in gets:
                links.assign(server, action, automatic=False)


def run_ssop(fleet: Fleet, rounds: int) -> dict[str, Any]:
    """CrawlService.crawl_fleet through ssop's default SSH transport (asyncssh),
    SQLite store."""
    services, _ = _ssop_services(fleet)
    _register(services, fleet)
    started = time.perf_counter()
    first = services.crawler.crawl_fleet()  # connects; two-sample first visit
    first_wall = time.perf_counter() - started
    services.crawler.crawl_fleet()  # warm-up in steady state
    failures: list[int] = []

    def crawl() -> None:
        failures.append(services.crawler.crawl_fleet().failed)

    result = measure(crawl, fleet, rounds)
    result.update(
        first_crawl_s=first_wall, first_failed=first.failed, failed=sum(failures)
    )
    services.close()
    return result


# --- raw Fabric ------------------------------------------------------------


def run_fabric(fleet: Fleet, rounds: int) -> dict[str, Any]:
    """Persistent fabric.Connection per host, one combined command per crawl."""
    import fabric
    import paramiko

    from ssop.core.actions.builtin import combined_readings_command

    pkey = paramiko.Ed25519Key.from_private_key_file(fleet.key_path)
    command = combined_readings_command().as_shell()

    def connect(host: BenchHost) -> fabric.Connection:
        conn = fabric.Connection(
            host.address,
            user=fleet.user,
            port=host.port,
            config=fabric.Config(lazy=True, ssh_config=paramiko.SSHConfig()),
            connect_kwargs={"pkey": pkey, "look_for_keys": False, "allow_agent": False},
        )
        conn.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        conn.open()
        return conn

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        conns = list(pool.map(connect, fleet.hosts))
        failed: list[int] = []

        def crawl() -> None:
            results = list(
                pool.map(
                    lambda c: c.run(command, hide=True, warn=True, in_stream=False),
                    conns,
                )
            )
            failed.append(sum(1 for r in results if r.exited != 0))

        crawl()  # warm-up
        result = measure(crawl, fleet, rounds)
    for conn in conns:
        conn.close()
    result["failed"] = sum(failed)
    return result


# --- Ansible ---------------------------------------------------------------


def ansible_missing() -> str | None:
    """Why the Ansible column cannot be measured, or None when it can."""
    if shutil.which("ansible", path=str(Path(sys.executable).parent)) is None:
        return "ansible-core is not installed (pip install -e '.[bench]')"
    return None


def _mux_pids(control_dir: str) -> list[int]:
    """The ControlPersist master ssh processes this run started (they outlive it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if control_dir.encode() in cmdline:
            pids.append(int(entry))
    return pids


def _mux_cpu(control_dir: str) -> float:
    return sum(tree_cpu_seconds((pid,)) for pid in _mux_pids(control_dir))


def _inventory(fleet: Fleet, path: Path) -> None:
    lines = ["[fleet]"]
    lines += [
        f"{h.name} ansible_host={h.address} ansible_port={h.port}" for h in fleet.hosts
    ]
    lines += [
        "[fleet:vars]",
        f"ansible_user={fleet.user}",
        f"ansible_ssh_private_key_file={fleet.key_path}",
        "ansible_python_interpreter=/usr/bin/python3",
    ]
    path.write_text("\n".join(lines) + "\n")


def run_ansible(fleet: Fleet, rounds: int) -> dict[str, Any]:
    """``ansible -m shell`` ad hoc, -f 50, pipelining, ControlPersist."""
    from ssop.core.actions.builtin import combined_readings_command

    work = Path(fleet.workdir) / f"ansible-{os.getpid()}"
    work.mkdir()
    control_dir = f"/tmp/ab{os.getpid()}"  # a socket path must stay short
    os.makedirs(control_dir, exist_ok=True)
    _inventory(fleet, work / "inventory.ini")
    env = dict(
        os.environ,
        HOME=str(work),
        ANSIBLE_CONFIG=str(work / "none.cfg"),
        ANSIBLE_PIPELINING="True",
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir,
        ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
        ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=600s "
        "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_DEPRECATION_WARNINGS="False",
    )
    argv = [
        str(Path(sys.executable).parent / "ansible"),
        "fleet",
        "-i",
        str(work / "inventory.ini"),
        "-m",
        "shell",
        "-a",
        combined_readings_command().as_shell(),
        "-f",
        "50",
        "-o",
    ]
    failed: list[int] = []

    def crawl() -> None:
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        failed.append(0 if done.returncode == 0 else done.stdout.count("FAILED") or 1)

    crawl()  # warm-up: opens the ControlPersist masters
    result = measure(crawl, fleet, rounds, lambda: _mux_cpu(control_dir))
    result["peak_rss_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    result["rss_mb"] = None
    result["failed"] = sum(failed)
    for pid in _mux_pids(control_dir):
        os.kill(pid, signal.SIGTERM)
    return result


# --- what the monitored host pays -------------------------------------------


def run_host_cost(fleet: Fleet, rounds: int) -> dict[str, Any]:
    """Host CPU per crawl: ssop's one combined command vs the reference set
    (six separate commands, as the tool ssop replaces ran them)."""
    from ssop.core.actions.builtin import combined_readings_command
    from ssop.core.transport.base import Command, Endpoint, HostKey
    from ssop.core.transport.keys import fingerprint_of
    from ssop.core.transport.ssh_async import AsyncSshTransport

    host = fleet.hosts[0]
    pinned = HostKey(
        fleet.host_key_type,
        fleet.host_key_b64,
        fingerprint_of(fleet.host_key_type, fleet.host_key_b64),
    )
    endpoint = Endpoint(
        host.name,
        host.address,
        host.port,
        fleet.user,
        private_key=Path(fleet.key_path).read_text(),
        pinned_host_key=pinned,
    )
    transport = AsyncSshTransport(endpoint)
    reference = [Command.of("sh", "-c", line) for line in REFERENCE_SET]
    combined = [combined_readings_command()]
    out = {}
    for label, commands in (("combined", combined), ("reference", reference)):
        for command in commands:  # warm-up: caches, first-use costs
            transport.run(command, timeout=30)
        before = tree_cpu_seconds(fleet.sshd_pids)
        for _ in range(rounds):
            for command in commands:
                transport.run(command, timeout=30)
        out[f"{label}_ms"] = (
            1000 * (tree_cpu_seconds(fleet.sshd_pids) - before) / rounds
        )
    transport.close()
    return out


METHODS: dict[str, Callable[[Fleet, int], dict[str, Any]]] = {
    "ssop": run_ssop,
    "fabric": run_fabric,
    "ansible": run_ansible,
    "hostcost": run_host_cost,
    "daemon": run_daemon,
}
