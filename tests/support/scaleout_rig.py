"""Real ``ssop daemon`` processes sharing one fleet, for the scale-out fault
tests: their environment, starting and stopping them, which wall-clock
interval it is, and the crawl claims they hold in Redis."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import redis
from cryptography.fernet import Fernet

from ssop.core.config.loader import load_config
from ssop.core.crawl.rendezvous import interval_of, phase
from ssop.core.queue.redis_conn import as_text
from ssop.core.services import Services, build_services
from ssop.core.store.db import create_engine_for
from tests.support import services as support
from tests.support.fleet import Host, register
from tests.support.processes import Process


def daemon_env(
    base: dict[str, str],
    *,
    database_url: str,
    redis_url: str,
    folder: Path,
    every_s: float,
    concurrency: int | None = None,
) -> dict[str, str]:
    """The variables of a daemon (and of the test's own services) on these stores."""
    config_file = folder / "ssop.toml"
    config_file.write_text("")
    env = dict(
        base,
        SSOP_CONFIG=str(config_file),
        SSOP_DATABASE_URL=database_url,
        SSOP_REDIS_URL=redis_url,
        SSOP_SECRET_KEY=Fernet.generate_key().decode(),
        SSOP_APP__PORT="0",
        SSOP_APP__CRAWLER_DELAY=str(every_s),
        SSOP_APP__MODEL_DELAY=str(every_s),
        SSOP_SSH__CONNECT_TIMEOUT="5",
    )
    if concurrency is not None:
        env["SSOP_DAEMON__CONCURRENCY"] = str(concurrency)
    return env


def services_for(env: dict[str, str]) -> Services:
    """The test's own services, configured as its daemons are."""
    return build_services(load_config(environ=env, system_config=Path("/nonexistent")))


@contextmanager
def fleet_store(
    database_url: str, env: dict[str, str], fleet: list[Host]
) -> Iterator[Services]:
    """Services on an emptied shared store that knows ``fleet``; emptied again after."""
    engine = create_engine_for(database_url)
    support.clean_tables(engine)
    services = services_for(env)
    try:
        services.store.seed()
        register(services, fleet)
        yield services
    finally:
        services.close()
        support.clean_tables(engine)
        engine.dispose()


def start_daemons(
    count: int, env: dict[str, str], folder: Path, started: list[Process]
) -> list[Process]:
    """``count`` daemons, each past its first crawl (its log says so).

    The first crawl opens every SSH connection of its share and may run
    into the next interval on a busy machine: checks start after it.
    """
    daemons = [
        Process(["-m", "ssop", "daemon"], env, folder / f"daemon{n}.log")
        for n in range(count)
    ]
    started.extend(daemons)
    for d in daemons:
        d.wait_log(": ready", timeout=30)
    for d in daemons:
        d.wait_log("crawl: crawled", timeout=60)
    return daemons


def stop_daemons(daemons: Sequence[Process]) -> None:
    """A warm stop (SIGTERM) of each; each must exit 0."""
    for d in daemons:
        d.signal(signal.SIGTERM)
    for d in daemons:
        code, err = d.finish(30)
        assert code == 0, err


def now() -> datetime:
    return datetime.now(UTC)


def current_interval(every_s: float) -> int:
    return interval_of(now(), every_s)


def wait_for_phase(k: int, at_phase: float, every_s: float) -> None:
    """Sleep until interval ``k`` is ``at_phase`` through (real daemons run on
    the wall clock: there is no clock to fake)."""
    while interval_of(now(), every_s) < k or (
        interval_of(now(), every_s) == k and phase(now(), every_s) < at_phase
    ):
        time.sleep(0.02)


def crawl_claims(client: redis.Redis, k: int, hosts: Sequence[str]) -> dict[str, str]:
    """Who holds each host's crawl claim of interval ``k`` (unclaimed left out)."""
    values = client.mget([f"ssop:crawl:{k}:{h}" for h in hosts])
    return {h: as_text(v) for h, v in zip(hosts, values, strict=True) if v is not None}
