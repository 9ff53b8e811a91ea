"""Queue services on Redis: cached readings and heartbeats as keys with TTLs,
live events over pub/sub, and the factory of the whole Redis backend.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import redis
from redis.client import PubSub

from ssop.core.clock import Clock
from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import LiveEvent, QueueBackend, check_name
from ssop.core.queue.codec import (
    Malformed,
    dump_json,
    event_from_json,
    event_json,
    load_json,
)
from ssop.core.queue.redis_conn import (
    DEFAULT_KEYS,
    DEFAULT_TIMEOUT_S,
    Keys,
    as_text,
    connect,
    unavailable_on_error,
)
from ssop.core.queue.redis_stream import RedisWorkQueue

log = logging.getLogger(__name__)


class _Scanned:
    """JSON values under one key prefix, with a lifetime each."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._r = client
        self._prefix = prefix

    def put(self, name: str, text: str, ttl_ms: int) -> None:
        self._r.set(self._prefix + name, text, px=max(1, ttl_ms))

    def get(self, name: str) -> dict[str, Any] | None:
        return self._load(name, self._r.get(self._prefix + name))

    def items(self) -> dict[str, dict[str, Any]]:
        keys = list(self._r.scan_iter(match=self._prefix + "*", count=500))
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for key, text in zip(chunk, self._r.mget(chunk), strict=True):
                name = key[len(self._prefix) :]
                value = self._load(name, text)
                if value is not None:
                    out[name] = value
        return out

    def _load(self, name: str, text: bytes | str | None) -> dict[str, Any] | None:
        if text is None:  # expired between SCAN and MGET, or absent
            return None
        try:
            return load_json(as_text(text))
        except Malformed as e:
            log.warning("redis key %s%s: ignored: %s", self._prefix, name, e)
            return None


class RedisCache:
    def __init__(self, client: redis.Redis, keys: Keys = DEFAULT_KEYS) -> None:
        self._values = _Scanned(client, keys.latest())

    def put(self, server: str, readings: Mapping[str, Any], ttl: int = 600) -> None:
        text = dump_json(f"readings of {check_name('server', server)}", readings)
        with unavailable_on_error(f"cache readings of {server}"):
            self._values.put(server, text, ttl * 1000)

    def get(self, server: str) -> dict[str, Any] | None:
        with unavailable_on_error(f"read cached readings of {server}"):
            return self._values.get(server)

    def all(self) -> dict[str, dict[str, Any]]:
        with unavailable_on_error("read cached readings"):
            return self._values.items()


class RedisHeartbeats:
    def __init__(self, client: redis.Redis, keys: Keys = DEFAULT_KEYS) -> None:
        self._values = _Scanned(client, keys.daemon())

    def beat(self, daemon_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        text = dump_json(f"info of {check_name('daemon id', daemon_id)}", info)
        with unavailable_on_error(f"heartbeat of {daemon_id}"):
            self._values.put(daemon_id, text, int(ttl_s * 1000))

    def alive(self) -> dict[str, dict[str, Any]]:
        with unavailable_on_error("list daemon heartbeats"):
            return self._values.items()


class RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    def get(self, timeout: float) -> LiveEvent | None:
        deadline = time.monotonic() + timeout
        with unavailable_on_error("receive events"):
            while True:
                remaining = max(0.0, deadline - time.monotonic())
                message = self._pubsub.get_message(timeout=remaining)
                if message is not None and message["type"] == "message":
                    try:
                        return event_from_json(message["data"])
                    except Malformed as e:
                        log.warning("event bus: ignored a message: %s", e)
                if remaining <= 0:
                    return None

    def close(self) -> None:
        try:
            self._pubsub.close()
        except redis.RedisError as e:
            log.debug("event bus: closing a subscription failed: %s", e)


class RedisEventBus:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys = DEFAULT_KEYS,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._r = client
        db = int(client.connection_pool.connection_kwargs.get("db", 0))
        self._channel = keys.channel(db)
        self._timeout_s = timeout_s

    def publish(self, event: LiveEvent) -> None:
        text = event_json(event)
        with unavailable_on_error(f"publish event {event.kind}"):
            self._r.publish(self._channel, text)

    def subscribe(self) -> RedisSubscription:
        pubsub = self._r.pubsub()  # type: ignore[no-untyped-call]
        with unavailable_on_error("subscribe to events"):
            pubsub.subscribe(self._channel)
            # Wait for the confirmation: only then are later publishes seen.
            deadline = time.monotonic() + self._timeout_s
            while time.monotonic() < deadline:
                message = pubsub.get_message(timeout=deadline - time.monotonic())
                if message is not None and message["type"] == "subscribe":
                    return RedisSubscription(pubsub)
        pubsub.close()
        raise QueueUnavailable("redis: subscribing to events timed out")


def redis_backend(
    url: str,
    clock: Clock,
    *,
    min_idle_s: float = 120.0,
    maxlen: int = 100_000,
    keys: Keys = DEFAULT_KEYS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> QueueBackend:
    """All four services on the Redis at ``url``; nothing connects until first use.

    ``timeout_s`` bounds every connect and reply (a blocking read waits half).

    Raises: ConfigError (``url`` is not a Redis URL).
    """
    client = connect(url, timeout_s)
    return QueueBackend(
        kind="redis",
        work_queue=RedisWorkQueue(
            client,
            clock,
            keys=keys,
            min_idle_s=min_idle_s,
            maxlen=maxlen,
            max_block_ms=int(timeout_s * 500),
        ),
        cache=RedisCache(client, keys),
        events=RedisEventBus(client, keys, timeout_s),
        heartbeats=RedisHeartbeats(client, keys),
        closer=client.close,
    )
