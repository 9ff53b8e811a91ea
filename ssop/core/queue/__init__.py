"""The queue layer: crawl notices, latest readings, live events, heartbeats."""

from ssop.core.queue.base import (
    CrawlNotice,
    Delivery,
    EventBus,
    Heartbeats,
    LatestCache,
    LiveEvent,
    QueueBackend,
    Subscription,
    WorkQueue,
)

__all__ = [
    "CrawlNotice",
    "Delivery",
    "LiveEvent",
    "EventBus",
    "Heartbeats",
    "LatestCache",
    "QueueBackend",
    "Subscription",
    "WorkQueue",
]
