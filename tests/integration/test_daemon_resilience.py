"""A slow dependency never stops the crawl: a real ``ssop daemon`` process.

The daemon crawls one local server every 3 s and analyses every 3 s with the
model always asked, while the (loopback, scripted) model first sleeps past
its 30 s timeout, then answers 429 with ``Retry-After: 7``, and then a
private redis-server is paused (SIGSTOP: connections hang, nothing answers).
The readings the daemon stores tell whether the crawl kept its interval.

Before, the one loop sat in the model call (30 s) and in the Retry-After
waits, and a paused Redis cost 10 s twice per call: one reading in the whole
run. The bounds below leave room for a machine whose cores are shared by
many test runs (a late slot), never for such a frozen stretch.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from ssop.core.config.loader import load_config
from ssop.core.errors import ExitCode
from ssop.core.models import AnalysisRecord
from ssop.core.services import Services, build_services
from tests.fakes.openai_server import FakeOpenAI, Reply, fake_openai
from tests.support import services as support
from tests.support.crawl import add_server, samples
from tests.support.processes import Process, wait_until
from tests.support.redis_server import PrivateRedis

pytestmark = [pytest.mark.slow]

INTERVAL_S = 3
PHASE_S = 7.0
PHASE_MAX_S = 40.0
# On an idle machine readings come INTERVAL_S apart; a starved one may serve a
# slot late. A frozen crawl left gaps of 20-30 s.
MAX_GAP_S = 2 * INTERVAL_S + 1.5
ADVICE = {
    "summary": "all quiet",
    "reasoning": "nothing stands out",
    "risk_level": "low",
    "confidence": 0.9,
    "recommendations": [],
}


@dataclass(frozen=True)
class Phase:
    name: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def readings(self, times: list[datetime]) -> int:
        return sum(1 for t in times if self.start <= t < self.end)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api() -> Iterator[FakeOpenAI]:
    yield from fake_openai()


@pytest.fixture
def env(
    tmp_path: Path,
    sqlite_template: Path,
    isolated_env: dict[str, str],
    private_redis: PrivateRedis,
    api: FakeOpenAI,
) -> dict[str, str]:
    config_file = tmp_path / "ssop.toml"
    config_file.write_text("")  # a named config file must exist
    return dict(
        isolated_env,
        SSOP_DATABASE_URL=support.sqlite_copy(sqlite_template, tmp_path),
        SSOP_CONFIG=str(config_file),
        SSOP_APP__PORT="0",
        SSOP_APP__CRAWLER_DELAY=str(INTERVAL_S),
        SSOP_APP__MODEL_DELAY=str(INTERVAL_S),
        SSOP_REDIS_URL=private_redis.url,
        OPENAI_API_KEY="sk-test-0123456789abcdef",
        OPENAI_BASE_URL=api.base_url,
        OPENAI_MODEL="fake-model",
        OPENAI_TIMEOUT="30",
        OPENAI_MAX_RETRIES="3",
        SSOP_ANALYSIS__LLM_MODE="always",
        SSOP_ANALYSIS__MODEL_WAIT_S="4",
        SSOP_ANALYSIS__BREAKER_COOLDOWN_S="1",
    )


@pytest.fixture
def svc(env: dict[str, str]) -> Iterator[Services]:
    config = load_config(environ=env, system_config=Path("/nonexistent"))
    services = build_services(config)
    services.store.seed()
    add_server(services, "local1", host="localhost", local=True)
    yield services
    services.close()


def reading_times(svc: Services) -> list[datetime]:
    return [s.at for s in samples(svc, "local1")]


def phase(
    svc: Services,
    name: str,
    fault: Callable[[], None],
    undo: Callable[[], None],
    until: Callable[[], bool] = lambda: True,
) -> Phase:
    """Keep ``fault`` on for PHASE_S seconds of the running daemon, and until
    ``until()`` (the daemon met the fault: a loaded machine starts it slowly)."""
    start, started = svc.clock.now(), time.monotonic()
    fault()
    try:
        wait_until(
            lambda: time.monotonic() - started >= PHASE_S and until(),
            PHASE_MAX_S,
            f"{name}: the daemon meeting it",
        )
    finally:
        undo()
    return Phase(name, start, svc.clock.now())


def asked(api: FakeOpenAI) -> Callable[[], bool]:
    """True once the model has been asked again after this call."""
    before = len(api.received)
    return lambda: len(api.received) > before


def analysis_errors(svc: Services) -> set[str | None]:
    with svc.sessions() as s:
        return {a.llm_error for a in s.exec(select(AnalysisRecord))}


def crawl_trouble(log: str) -> list[str]:
    """Failed crawls, and runs of crawls skipped (one late slot is allowed)."""
    lines = [line for line in log.splitlines() if "step crawl: " in line]
    return [line for line in lines if "step crawl: 1 run(s) skipped" not in line]


def gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def test_the_crawl_keeps_its_interval_through_a_slow_model_a_429_and_a_paused_redis(
    svc: Services,
    env: dict[str, str],
    api: FakeOpenAI,
    private_redis: PrivateRedis,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    api.always(Reply.advice(ADVICE, delay_s=40.0))  # sleeps past the 30 s timeout
    daemon = Process(["-m", "ssop", "daemon"], env, tmp_path / "daemon.log")
    processes.append(daemon)
    wait_until(lambda: len(reading_times(svc)) >= 1, 30, "the first reading")
    slow = phase(svc, "model sleeps", lambda: None, lambda: None, asked(api))
    limited = phase(
        svc,
        "model answers 429, Retry-After: 7",
        lambda: api.always(Reply.error(429, {"Retry-After": "7"})),
        lambda: api.always(Reply.advice(ADVICE)),
        asked(api),
    )
    paused = phase(svc, "redis paused", private_redis.pause, private_redis.resume)
    daemon.signal(signal.SIGTERM)
    code, err = daemon.finish(timeout=30)
    assert code == ExitCode.OK, err
    times = reading_times(svc)
    for p in (slow, limited, paused):
        print(f"{p.name}: {p.readings(times)} reading(s) in {p.seconds:.1f}s")
    print("gaps between readings (s):", [round(g, 1) for g in gaps(times)])
    assert max(gaps(times)) < MAX_GAP_S, err
    assert crawl_trouble(err) == [], err
    for p in (slow, limited, paused):
        assert p.readings(times) >= int(p.seconds // INTERVAL_S) - 1, p.name
    # the rule engine stood in for the model, so analyses kept coming too
    assert {"llm_timeout", "llm_429"} <= analysis_errors(svc)
