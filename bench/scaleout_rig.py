"""The scale-out benchmark's rig: a MariaDB database and a Redis index of its
own, the loopback fleet registered there, and real ``ssop daemon`` processes
whose CPU is read from /proc at each interval boundary."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loopback import Fleet, cpu_seconds
from ssop.core.crawl.rendezvous import interval_of, phase

ROOT = Path(__file__).resolve().parents[1]


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Daemon:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    cpu: list[float] = field(default_factory=list)  # at each interval boundary
    paused: bool = False

    def ready(self) -> bool:
        return ": ready" in self.log.read_text()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def sample(self) -> None:
        self.cpu.append(cpu_seconds(self.popen.pid) if self.alive() else float("nan"))

    def signal(self, sig: int) -> None:
        if self.alive():
            self.popen.send_signal(sig)

    def stop(self) -> None:
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(30)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Rig:
    fleet: Fleet
    environ: dict[str, str]
    every_s: float
    workdir: Path
    started: int = 0

    def start(self) -> Daemon:
        self.started += 1
        name = f"daemon{self.started}"
        log = self.workdir / f"{name}.log"
        env = {**self.environ, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        env["PYTHONPATH"] = str(ROOT)
        with log.open("w") as err:
            popen = subprocess.Popen(
                [sys.executable, "-m", "ssop", "daemon"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        return Daemon(name, popen, log)

    def interval(self) -> int:
        return interval_of(now(), self.every_s)

    def wait_for(self, k: int, at_phase: float = 0.0) -> None:
        while self.interval() < k or (
            self.interval() == k and phase(now(), self.every_s) < at_phase
        ):
            time.sleep(0.05)


def wait_ready(daemons: list[Daemon], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(d.ready() for d in daemons):
        dead = [d for d in daemons if not d.alive()]
        if dead or time.monotonic() > deadline:
            tail = dead[0].log.read_text()[-400:] if dead else "timeout"
            raise RuntimeError(f"a daemon did not start: {tail}")
        time.sleep(0.2)


def store_environ(
    fleet: Fleet, url: str, redis_url: str, every_s: float
) -> dict[str, str]:
    from cryptography.fernet import Fernet

    home = Path(fleet.workdir) / "ssop-scaleout"
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "SSOP_DATABASE_URL": url,
        "SSOP_REDIS_URL": redis_url,
        "SSOP_SECRET_KEY": Fernet.generate_key().decode(),
        "SSOP_APP__CRAWLER_DELAY": str(int(every_s)),
        # the crawl is measured: the analysis step waits past the run
        "SSOP_APP__MODEL_DELAY": "3600",
        "SSOP_APP__PORT": "0",
        "SSOP_DAEMON__CONCURRENCY": "64",
        "SSOP_SSH__CONNECT_TIMEOUT": "30",
    }


def register_fleet(fleet: Fleet, environ: dict[str, str]) -> None:
    from bench.crawl_methods import _register
    from ssop.core.config.loader import load_config
    from ssop.core.services import build_services

    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    services: Any = build_services(config)
    services.store.seed()
    _register(services, fleet)
    services.close()
