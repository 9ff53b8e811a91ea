"""Queue backends set up for the contract suite, each with a way to let time pass.

Redis measures idle time and TTLs itself, so "letting time pass" there means
ageing the server's state: pending entries are re-claimed by their owner with
a larger IDLE, and TTLs of ``ssop:*`` keys are shortened. No test sleeps.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass

import redis

from ssop.core.config.schema import Settings
from ssop.core.queue.base import QueueBackend
from ssop.core.queue.factory import build_queue_backend
from ssop.core.queue.memory import memory_backend
from ssop.core.queue.redis_backend import redis_backend
from tests.fakes.clock import FakeClock

MIN_IDLE_S = 60.0
STREAM = "ssop:stream:crawl"


@dataclass(kw_only=True)
class Rig:
    """One backend under test and the handles the suite needs."""

    kind: str
    backend: QueueBackend
    clock: FakeClock
    advance: Callable[[float], None]
    reopen: Callable[[], QueueBackend]
    redis: redis.Redis | None = None


def redis_url(db: int, port: int = 6379) -> str:
    return f"redis://127.0.0.1:{port}/{db}"


def free_port() -> int:
    """A loopback port nothing listens on (a dead Redis, or one to start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_for(url: str | None) -> Settings:
    return Settings.model_validate(
        {"redis": {"url": url}, "daemon": {"stream_maxlen": 1000}}
    )


def age_redis(client: redis.Redis, seconds: float) -> None:
    """Make the server's pending entries and TTLs ``seconds`` older."""
    ms = int(seconds * 1000)
    if client.exists(STREAM):
        for group in client.xinfo_groups(STREAM):
            for p in client.xpending_range(STREAM, group["name"], "-", "+", 10_000):
                client.xclaim(
                    STREAM,
                    group["name"],
                    str(p["consumer"]),
                    0,
                    [p["message_id"]],
                    idle=int(p["time_since_delivered"]) + ms,
                    justid=True,
                )
    for key in client.scan_iter(match="ssop:*"):
        left = int(client.pttl(key))
        if left > ms:
            client.pexpire(key, left - ms)
        elif left > 0:
            client.delete(key)


def memory_rig(clock: FakeClock) -> Rig:
    backend = memory_backend(clock, min_idle_s=MIN_IDLE_S)
    return Rig(
        kind="memory",
        backend=backend,
        clock=clock,
        advance=clock.advance,
        reopen=lambda: backend,
    )


def redis_rig(clock: FakeClock, db: int) -> Rig:
    url = redis_url(db)
    client = redis.Redis.from_url(url, decode_responses=True)

    def build() -> QueueBackend:
        return redis_backend(url, clock, min_idle_s=MIN_IDLE_S)

    def advance(seconds: float) -> None:
        clock.advance(seconds)
        age_redis(client, seconds)

    return Rig(
        kind="redis",
        backend=build(),
        clock=clock,
        advance=advance,
        reopen=build,
        redis=client,
    )


def resilient_rig(clock: FakeClock, db: int) -> Rig:
    """The production wiring with Redis up: must behave exactly like Redis."""
    rig = redis_rig(clock, db)

    def build() -> QueueBackend:
        return build_queue_backend(
            settings_for(redis_url(db)), clock, min_idle_s=MIN_IDLE_S
        )

    return Rig(
        kind="resilient",
        backend=build(),
        clock=clock,
        advance=rig.advance,
        reopen=build,
        redis=rig.redis,
    )


def degraded_rig(clock: FakeClock) -> Rig:
    """The production wiring with Redis unreachable: must behave like memory."""
    settings = settings_for(redis_url(0, free_port()))
    backend = build_queue_backend(settings, clock, min_idle_s=MIN_IDLE_S)
    return Rig(
        kind="degraded",
        backend=backend,
        clock=clock,
        advance=clock.advance,
        reopen=lambda: backend,
    )
