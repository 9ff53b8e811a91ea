"""The real ``ssop daemon`` against the loopback fleet: its RSS and CPU.

The crawl columns measure ``CrawlService`` inside a benchmark process; the
memory target is about the daemon, which also schedules, analyses, serves
/metrics (one gauge per host reading) and keeps its heartbeat. So this
registers the fleet in an embedded SQLite store from this process, then
starts ``python -m ssop daemon`` on it and reads the daemon's own
/proc/PID/status and /proc/PID/stat while it crawls on its schedule.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.loopback import Fleet, cpu_seconds, free_port

CRAWL_EVERY_S = 20
SETTLE_S = 3.0
_RUNS = re.compile(r'^ssop_daemon_step_runs_total\{step="(\w+)"\} (\S+)$', re.M)


def run_daemon(fleet: Fleet, rounds: int) -> dict[str, Any]:
    """Crawls counted from the daemon's /metrics: the first (connects every
    host), then ``rounds`` steady-state ones. RSS is read between crawls,
    just after the last; the peak (VmHWM) is what a crawl in flight adds."""
    from bench.crawl_methods import _register, _ssop_services

    services, environ = _ssop_services(fleet, home_name=f"ssop-daemon-{os.getpid()}")
    _register(services, fleet)
    services.close()
    port = free_port()
    environ = {
        **environ,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "APP_CRAWLER_DELAY": str(CRAWL_EVERY_S),
        "APP_PORT": str(port),
        "SSOP_DAEMON__CONCURRENCY": "64",
        "SSOP_SSH__CONNECT_TIMEOUT": "30",
    }
    log = Path(fleet.workdir) / "daemon.log"
    with log.open("w") as err:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "ssop", "daemon"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        return _watch(daemon, port, rounds, log)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()


def _watch(
    daemon: subprocess.Popen[bytes], port: int, rounds: int, log: Path
) -> dict[str, Any]:
    started = time.monotonic()
    _wait_for_crawls(daemon, port, 1, log)
    first_done = time.monotonic() - started
    cpu0 = cpu_seconds(daemon.pid)
    _wait_for_crawls(daemon, port, 1 + rounds, log)
    cpu = cpu_seconds(daemon.pid) - cpu0
    time.sleep(SETTLE_S)  # the step is counted before the loop tidies up
    status = _status(daemon.pid)
    return {
        "first_crawl_done_s": first_done,
        "steady_crawls": rounds,
        "cpu_s_per_steady_crawl": cpu / rounds,
        "rss_mb": status["VmRSS"] / 1024,
        "peak_rss_mb": status["VmHWM"] / 1024,
        "threads": status["Threads"],
    }


def _wait_for_crawls(
    daemon: subprocess.Popen[bytes], port: int, count: int, log: Path
) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            tail = log.read_text().strip().splitlines()[-3:]
            raise RuntimeError(f"the daemon exited: {' | '.join(tail)}")
        if _crawl_runs(port) >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the daemon did not finish {count} crawls in 600 s")


def _crawl_runs(port: int) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return 0.0
    runs = {m.group(1): float(m.group(2)) for m in _RUNS.finditer(text)}
    return runs.get("crawl", 0.0)


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "Threads"):
            out[key] = int(value.split()[0])
    return out
