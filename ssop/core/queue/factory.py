"""Choose the queue backend: Redis (with in-process fallback) when configured."""

from __future__ import annotations

from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.queue.base import QueueBackend
from ssop.core.queue.memory import memory_backend
from ssop.core.queue.resilient import resilient_backend

# How long a claimed notice may stay unacknowledged before another consumer
# takes it over: longer than one analysis with its LLM retries.
CLAIM_MIN_IDLE_S = 300.0


def build_queue_backend(
    settings: Settings, clock: Clock, *, min_idle_s: float = CLAIM_MIN_IDLE_S
) -> QueueBackend:
    """Redis when ``settings.redis_url()`` is set, else everything in-process.

    The Redis backend is wrapped so that an outage falls back to the in-process
    services (``backend.degraded`` is then True) instead of failing callers.
    Nothing connects here.

    Raises:
        ConfigError: the Redis URL is not valid.
    """
    maxlen = settings.daemon.stream_maxlen
    local = memory_backend(clock, min_idle_s=min_idle_s, maxlen=maxlen)
    url = settings.redis_url()
    if url is None:
        return local  # and redis-py (~6 MB) is never imported
    from ssop.core.queue.redis_backend import redis_backend

    remote = redis_backend(
        url,
        clock,
        min_idle_s=min_idle_s,
        maxlen=maxlen,
        timeout_s=settings.redis.timeout,
    )
    return resilient_backend(remote, local, clock)
