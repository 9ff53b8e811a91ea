"""Talking to Redis: the key names, the client, and error translation.

Keys live under one namespace like rq's: ``ssop:stream:crawl``,
``ssop:latest:<server>``, ``ssop:daemon:<id>`` and the ``ssop:<db>:events``
channel. Every redis-py error becomes QueueUnavailable through
``unavailable_on_error``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from ssop.core.errors import ConfigError, QueueUnavailable

# Redis answers in milliseconds: past this it is hung (paused, swapping, a
# dead link) and the caller falls back instead of waiting (redis.timeout).
DEFAULT_TIMEOUT_S = 1.0


@dataclass(frozen=True)
class Keys:
    namespace: str = "ssop"

    @property
    def stream(self) -> str:
        return f"{self.namespace}:stream:crawl"

    def channel(self, db: int) -> str:
        # Pub/sub ignores SELECT: every database index hears every channel,
        # so two fleets on one Redis (db 0 and db 1) need the index in the name.
        return f"{self.namespace}:{db}:events"

    def latest(self, server: str = "") -> str:
        return f"{self.namespace}:latest:{server}"

    def daemon(self, daemon_id: str = "") -> str:
        return f"{self.namespace}:daemon:{daemon_id}"


@contextmanager
def unavailable_on_error(what: str) -> Iterator[None]:
    """Translate redis-py errors raised inside into QueueUnavailable."""
    try:
        yield
    except redis.RedisError as e:
        raise QueueUnavailable(
            f"redis: {what} failed ({e.__class__.__name__}: {e})",
            hint="check that Redis is running and SSOP_REDIS_URL is right",
        ) from e


def as_text(value: bytes | str) -> str:
    """A reply as text (the client decodes; this keeps the types honest)."""
    return value.decode() if isinstance(value, bytes) else value


def connect(url: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> redis.Redis:
    """A client that fails fast, so the caller can fall back instead of hanging."""
    try:
        return redis.Redis.from_url(
            url,
            decode_responses=True,
            protocol=2,  # replies are parsed in the RESP2 shapes
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            health_check_interval=30,
            # One quick retry re-opens a pooled connection after a Redis restart;
            # a timeout is not retried: a hung Redis would cost it twice.
            retry=Retry(
                ExponentialBackoff(cap=0.2, base=0.02),
                1,
                supported_errors=(redis.ConnectionError,),
            ),
        )
    except ValueError as e:
        raise ConfigError(f"redis.url: not a Redis URL ({e})") from e


DEFAULT_KEYS = Keys()
