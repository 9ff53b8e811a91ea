"""Scale-out: 1, 2 and 3 daemons sharing 600 loopback hosts on MariaDB and Redis.

    python -m bench.scaleout [--hosts 600] [--every 20] [--intervals 4] [--seed N]

Prints per interval: hosts crawled, crawled twice, missed, and CPU seconds
of each daemon (from /proc); then three daemons with one killed (SIGKILL)
halfway; then random kills and pauses (SIGSTOP/SIGCONT) over many intervals,
seeded (the seed is printed); then the simulated fault schedules over the
real claim code, and the execution schedules over the real execute paths
(``tests.support.execution_sim``). Everything is checked from the database
with ``tests.support.scaleout_check`` and ``execution_check``: crawls per
host per interval, executions per approval.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import shutil
import signal
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loopback import Fleet, start_fleet, stop_fleet
from bench.scaleout_rig import Daemon, Rig, register_fleet, store_environ, wait_ready
from tests.support import services as support
from tests.support.scaleout_check import (
    IntervalCount,
    per_interval,
    repeated_executions,
    violations,
)

WARMUP = 1  # the first interval connects every host


def counts(rig: Rig, first: int, last: int) -> list[IntervalCount]:
    from ssop.core.store.crawl_log_repo import CrawlLogRepo
    from ssop.core.store.db import create_engine_for, session_factory

    engine = create_engine_for(rig.environ["SSOP_DATABASE_URL"])
    since = datetime.fromtimestamp(first * rig.every_s, UTC)
    with session_factory(engine)() as s:
        visits = CrawlLogRepo(s).visits(since)
    engine.dispose()
    hosts = [h.name for h in rig.fleet.hosts]
    return per_interval(visits, hosts, rig.every_s, range(first, last + 1))


def executions_repeated(rig: Rig) -> dict[int, int]:
    from ssop.core.store.db import create_engine_for, session_factory

    engine = create_engine_for(rig.environ["SSOP_DATABASE_URL"])
    with session_factory(engine)() as s:
        repeated = repeated_executions(s)
    engine.dispose()
    return repeated


def fresh_redis(rig: Rig) -> None:
    """Each run starts with no members or claims of the previous one."""
    db = int(rig.environ["SSOP_REDIS_URL"].rsplit("/", 1)[1])
    client = support.redis_client(db)
    support.flush_keeping_claim(client)
    client.close()


def start_all(rig: Rig, n: int) -> tuple[list[Daemon], int]:
    fresh_redis(rig)
    daemons = [rig.start() for _ in range(n)]
    wait_ready(daemons)
    first = rig.interval() + 1 + WARMUP
    rig.wait_for(first)
    return daemons, first


def sample_until(rig: Rig, daemons: list[Daemon], last: int) -> None:
    for k in range(rig.interval(), last + 2):
        rig.wait_for(k)
        for d in daemons:
            d.sample()


def cpu_per_interval(d: Daemon) -> list[float]:
    return [b - a for a, b in zip(d.cpu, d.cpu[1:], strict=False) if not math.isnan(b)]


def print_intervals(rows: list[IntervalCount], daemons: list[Daemon]) -> None:
    for i, row in enumerate(rows):
        cpu = " ".join(
            f"{c[i]:.2f}" if i < len(c) else "-"
            for c in (cpu_per_interval(d) for d in daemons)
        )
        print(f"  {row.line()}; CPU s per daemon: {cpu}")


def steady(rig: Rig, n: int, intervals: int) -> dict[str, Any]:
    daemons, first = start_all(rig, n)
    last = first + intervals - 1
    try:
        sample_until(rig, daemons, last)
    finally:
        for d in daemons:
            d.stop()
    rows = counts(rig, first, last)
    print(f"{n} daemon(s), intervals {first}..{last}:")
    print_intervals(rows, daemons)
    per_daemon = [statistics.mean(cpu_per_interval(d)) for d in daemons]
    crawled = statistics.mean(r.crawled for r in rows)
    return {
        "daemons": n,
        "crawled": crawled,
        "cpu_per_daemon": per_daemon,
        "cpu_total": sum(per_daemon),
        "problems": violations(rows, set()),
    }


def kill_halfway(rig: Rig, intervals: int) -> list[str]:
    daemons, first = start_all(rig, 3)
    last = first + intervals - 1
    killed_in = first + intervals // 2
    try:
        sample_until(rig, daemons, killed_in - 1)
        rig.wait_for(killed_in, 0.25)
        daemons[0].signal(signal.SIGKILL)
        sample_until(rig, daemons, last)
    finally:
        for d in daemons:
            d.stop()
    rows = counts(rig, first, last)
    print(f"3 daemons, daemon1 SIGKILLed in interval {killed_in}:")
    print_intervals(rows, daemons)
    return violations(rows, {killed_in})


def chaos_step(
    rig: Rig, rng: random.Random, daemons: list[Daemon], log: list[str]
) -> int | None:
    """Maybe kill or pause one daemon now; the interval it struck, if any."""
    live = [d for d in daemons if d.alive() and not d.paused]
    choice = rng.choice(("none", "kill", "pause", "pause"))
    if choice == "none" or len(live) < 2:
        return None
    victim = rng.choice(live)
    if choice == "kill":
        victim.signal(signal.SIGKILL)
        daemons.append(rig.start())
    else:
        victim.signal(signal.SIGSTOP)
        victim.paused = True
    log.append(f"{choice} {victim.name} in {rig.interval()}")
    return rig.interval()


def random_faults(rig: Rig, seed: int, intervals: int) -> list[str]:
    rng = random.Random(seed)
    daemons, first = start_all(rig, 3)
    last = first + intervals - 1
    excused: set[int] = set()
    log: list[str] = []
    try:
        for k in range(first, last + 1):
            rig.wait_for(k, rng.uniform(0.05, 0.9))
            for d in daemons:
                if d.paused and rng.random() < 0.6:
                    d.signal(signal.SIGCONT)
                    d.paused = False
            struck = chaos_step(rig, rng, daemons, log)
            if struck is not None:
                excused.add(struck)
        rig.wait_for(last + 1)
    finally:
        for d in daemons:
            d.stop()
    rows = counts(rig, first, last)
    print(f"random kills and pauses, seed {seed}: {'; '.join(log) or 'none'}")
    for row in rows:
        print(f"  {row.line()}{' (excused)' if row.interval in excused else ''}")
    return violations(rows, excused)


def simulated(seed: int, schedules: int) -> int:
    from ssop.core.queue.redis_claims import RedisClaims
    from tests.support.scaleout_sim import Simulation

    db = support.claim_redis_database()
    client = support.redis_client(db)
    failing = 0
    for s in range(seed, seed + schedules):
        support.flush_keeping_claim(client)
        sim = Simulation(
            s, RedisClaims(client), lambda: support.flush_keeping_claim(client)
        )
        failing += bool(sim.run(intervals=12).problems)
    client.close()
    support.release_redis_database(db)
    return failing


def execution_schedules(seed: int, schedules: int) -> str:
    """The execution schedules (tests.support.execution_sim) on a fresh database."""
    from ssop.core.config.loader import load_config
    from tests.fakes.clock import FakeClock
    from tests.support.execution_rig import POLICY, open_rig
    from tests.support.execution_sim import run_schedules

    url = support.create_mariadb_database()
    environ = {"SSOP_DATABASE_URL": url}
    config = load_config(
        overrides=POLICY, environ=environ, system_config=Path("/nonexistent")
    )
    rig = open_rig(config, FakeClock())
    ssop_log = logging.getLogger("ssop")
    ssop_log.setLevel(logging.CRITICAL)  # the faults' own errors are expected
    try:
        return run_schedules(rig, range(seed, seed + schedules)).line()
    finally:
        ssop_log.setLevel(logging.NOTSET)
        rig.close()
        support.drop_mariadb_database(url)


def summary(runs: list[dict[str, Any]]) -> None:
    one = runs[0]
    print("\nthroughput (hosts per interval per CPU-second of the busiest daemon):")
    base = one["crawled"] / max(one["cpu_per_daemon"])
    for r in runs:
        busiest = max(r["cpu_per_daemon"])
        rate = r["crawled"] / busiest
        print(
            f"  {r['daemons']} daemon(s): {r['crawled']:.0f} hosts/interval,"
            f" busiest {busiest:.2f} CPU s, total {r['cpu_total']:.2f} CPU s,"
            f" {rate:.0f} hosts/CPU-s -> {rate / base:.2f}x"
        )


def run(args: argparse.Namespace) -> None:
    seed = (
        args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    )
    print(f"seed {seed}")
    workdir = Path(tempfile.mkdtemp(prefix="ssop-scaleout-"))
    fleet, procs = start_fleet(workdir / "fleet", args.hosts)
    url = support.create_mariadb_database()
    db = support.claim_redis_database()
    try:
        rig = setup(fleet, url, db, args.every, workdir)
        runs = [steady(rig, n, args.intervals) for n in (1, 2, 3)]
        summary(runs)
        problems = [p for r in runs for p in r["problems"]]
        problems += kill_halfway(rig, args.intervals + 2)
        problems += random_faults(rig, seed, args.chaos)
        print(f"executions repeated: {executions_repeated(rig) or 'none'}")
        failing = simulated(seed, args.schedules)
        print(f"simulated fault schedules: {args.schedules}, failing {failing}")
        print(f"execution schedules: {execution_schedules(seed, args.schedules)}")
        print(f"problems: {problems or 'none'}")
    finally:
        support.release_redis_database(db)
        support.drop_mariadb_database(url)
        stop_fleet(procs)
        shutil.rmtree(workdir, ignore_errors=True)


def setup(fleet: Fleet, url: str, db: int, every: float, workdir: Path) -> Rig:
    environ = store_environ(fleet, url, f"redis://127.0.0.1:6379/{db}", every)
    register_fleet(fleet, environ)
    return Rig(fleet, environ, every, workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=600)
    parser.add_argument("--every", type=float, default=20.0, help="crawl interval, s")
    parser.add_argument("--intervals", type=int, default=4, help="measured per run")
    parser.add_argument("--chaos", type=int, default=10, help="intervals of faults")
    parser.add_argument("--schedules", type=int, default=100, help="simulated")
    parser.add_argument("--seed", type=int, default=None)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
