"""Live updates: the daemon's events through Redis, or polling without it.

``listen`` runs in a worker thread and calls ``on_event`` for each event
the daemon publishes (crawl stored, analysis done, approval decided...),
at most once per ``min_gap_s`` so a busy fleet does not reload the screen
for every server. It retries by itself when Redis goes away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ssop.core.errors import QueueUnavailable
from ssop.core.queue.base import EventBus

log = logging.getLogger(__name__)

RETRY_S = 3.0


def listen(
    bus: EventBus,
    *,
    on_event: Callable[[], None],
    on_lost: Callable[[str], None],
    stopped: Callable[[], bool],
    min_gap_s: float = 0.5,
) -> None:
    """Until ``stopped()``: wait for events and report them (batched)."""
    while not stopped():
        try:
            _follow(bus, on_event, stopped, min_gap_s)
        except QueueUnavailable as e:
            log.warning("tui: events: %s", e.message)
            on_lost(f"events: {e.message}")
            time.sleep(RETRY_S)


def _follow(
    bus: EventBus,
    on_event: Callable[[], None],
    stopped: Callable[[], bool],
    min_gap_s: float,
) -> None:
    subscription = bus.subscribe()
    try:
        last = 0.0
        while not stopped():
            if subscription.get(timeout=1.0) is None:
                continue
            if time.monotonic() - last >= min_gap_s:
                last = time.monotonic()
                on_event()
    finally:
        subscription.close()
