"""Claims on Redis: ``SET NX PX`` per item, pipelined, one round trip a call.

Behind a ``Link``: once Redis failed, calls fail at once (QueueUnavailable)
until the backoff lets one try again, so a hung Redis costs one timeout,
not one per server of the crawl.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn, TypeVar

import redis

from ssop.core.clock import Clock, SystemClock
from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import check_name
from ssop.core.queue.claims import MARKER_KIND
from ssop.core.queue.link import Link
from ssop.core.queue.redis_conn import (
    DEFAULT_TIMEOUT_S,
    as_text,
    connect,
    unavailable_on_error,
)

T = TypeVar("T")


def _down() -> NoReturn:
    raise QueueUnavailable("redis: claims unavailable (waiting to retry)")


class RedisClaims:
    def __init__(
        self, client: redis.Redis, namespace: str = "ssop", clock: Clock | None = None
    ) -> None:
        self._r = client
        self._ns = namespace
        self._link = Link(clock or SystemClock())

    def _guarded(self, call: Callable[[], T]) -> T:
        return self._link.call(call, _down)  # _down raises: never a T

    def key(self, kind: str, interval: int, item: str) -> str:
        return f"{self._ns}:{kind}:{interval}:{check_name('item', item)}"

    def _claim(
        self, kind: str, interval: int, items: Sequence[str], token: str, ttl_ms: int
    ) -> set[str]:
        if not items:
            return set()
        with unavailable_on_error(f"claim {len(items)} {kind} item(s)"):
            pipe = self._r.pipeline(transaction=False)
            for item in items:
                pipe.set(self.key(kind, interval, item), token, nx=True, px=ttl_ms)
            won = pipe.execute()
        return {item for item, ok in zip(items, won, strict=True) if ok}

    def _holders(
        self, kind: str, interval: int, items: Sequence[str]
    ) -> dict[str, str | None]:
        if not items:
            return {}
        keys = [self.key(kind, interval, item) for item in items]
        with unavailable_on_error(f"read {len(items)} {kind} claim(s)"):
            values = self._r.mget(keys)
        return {
            item: None if v is None else as_text(v)
            for item, v in zip(items, values, strict=True)
        }

    def _needs_rebuild(self, token: str) -> bool:
        with unavailable_on_error("check the claims marker"):
            return bool(self._r.set(f"{self._ns}:{MARKER_KIND}:marker", token, nx=True))

    def _seed(
        self, kind: str, interval: int, holders: Mapping[str, str], ttl_ms: int
    ) -> None:
        if not holders:
            return
        with unavailable_on_error(f"seed {len(holders)} {kind} claim(s)"):
            pipe = self._r.pipeline(transaction=False)
            for item, token in holders.items():
                pipe.set(self.key(kind, interval, item), token, nx=True, px=ttl_ms)
            pipe.execute()

    def claim(
        self, kind: str, interval: int, items: Sequence[str], token: str, ttl_ms: int
    ) -> set[str]:
        return self._guarded(lambda: self._claim(kind, interval, items, token, ttl_ms))

    def holders(
        self, kind: str, interval: int, items: Sequence[str]
    ) -> dict[str, str | None]:
        return self._guarded(lambda: self._holders(kind, interval, items))

    def needs_rebuild(self, token: str) -> bool:
        return self._guarded(lambda: self._needs_rebuild(token))

    def seed(
        self, kind: str, interval: int, holders: Mapping[str, str], ttl_ms: int
    ) -> None:
        self._guarded(lambda: self._seed(kind, interval, holders, ttl_ms))

    def close(self) -> None:
        self._r.close()


def redis_claims(
    url: str, timeout_s: float = DEFAULT_TIMEOUT_S, clock: Clock | None = None
) -> RedisClaims:
    """Claims on the Redis at ``url``; nothing connects until first use.

    Raises: ConfigError (``url`` is not a Redis URL).
    """
    return RedisClaims(connect(url, timeout_s), clock=clock)
