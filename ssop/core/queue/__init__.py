"""The queue layer: crawl notices, latest readings, live events, heartbeats."""

from ssop.core.queue.base import (
    CrawlNotice,
    Delivery,
    Event,
    EventBus,
    Heartbeats,
    LatestCache,
    QueueBackend,
    Subscription,
    WorkQueue,
)

__all__ = [
    "CrawlNotice",
    "Delivery",
    "Event",
    "EventBus",
    "Heartbeats",
    "LatestCache",
    "QueueBackend",
    "Subscription",
    "WorkQueue",
]
