"""When to use Redis: the shared up/down state with exponential backoff.

After a failure every call goes to the fallback, and Redis is tried again
after 1 s, 2 s, 4 s ... up to 60 s on the injected clock, by one caller at a
time. Each change of state is logged once, not on every call.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from ssop.core.clock import Clock
from ssop.core.errors import QueueUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Try(Enum):
    NO = 0
    NORMAL = 1
    PROBE = 2


class Link:
    """Whether the primary (Redis) is usable, and when to try it again."""

    def __init__(
        self, clock: Clock, *, first_retry_s: float = 1.0, max_retry_s: float = 60.0
    ) -> None:
        self._clock = clock
        self._first = first_retry_s
        self._max = max_retry_s
        self._lock = threading.Lock()
        self._degraded = False
        self._probing = False
        self._delay = first_retry_s
        self._retry_at = 0.0
        self._down_since = 0.0
        self._recover_hooks: list[Callable[[], None]] = []

    @property
    def degraded(self) -> bool:
        return self._degraded

    def retry_in(self) -> float | None:
        """Seconds until Redis is tried again; None when not degraded."""
        with self._lock:
            if not self._degraded:
                return None
            return max(0.0, self._retry_at - self._clock.monotonic())

    def on_recover(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` when Redis answers again (it may raise QueueUnavailable)."""
        self._recover_hooks.append(hook)

    def call(self, primary: Callable[[], T], fallback: Callable[[], T]) -> T:
        """``primary()`` when Redis is usable and answers, else ``fallback()``."""
        attempt = self._attempt()
        if attempt is _Try.NO:
            return fallback()
        try:
            result = primary()
        except QueueUnavailable as e:
            self._failed(e, attempt)
            return fallback()
        if attempt is _Try.PROBE:
            self._recovered()
        return result

    def _attempt(self) -> _Try:
        with self._lock:
            if not self._degraded:
                return _Try.NORMAL
            if self._probing or self._clock.monotonic() < self._retry_at:
                return _Try.NO
            self._probing = True
            return _Try.PROBE

    def _failed(self, error: QueueUnavailable, attempt: _Try) -> None:
        with self._lock:
            now = self._clock.monotonic()
            if attempt is _Try.PROBE:
                self._probing = False
                self._delay = min(self._delay * 2, self._max)
                self._retry_at = now + self._delay
                log.debug("redis: still unavailable, next try in %.0fs", self._delay)
                return
            if self._degraded:  # a call that started before the outage was noticed
                return
            self._degraded, self._down_since = True, now
            self._delay, self._retry_at = self._first, now + self._first
        log.warning(
            "redis: unavailable (%s); using the in-process queue, "
            "retrying with backoff",
            error.message,
        )

    def _recovered(self) -> None:
        with self._lock:
            down_for = self._clock.monotonic() - self._down_since
            self._degraded = self._probing = False
            self._delay = self._first
        log.info("redis: reachable again after %.0fs; back on Redis", down_for)
        try:
            for hook in self._recover_hooks:
                hook()
        except QueueUnavailable as e:
            self._failed(e, _Try.NORMAL)
