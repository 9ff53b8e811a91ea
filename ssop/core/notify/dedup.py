"""Notifications sent once across daemons: deduplicated by event id in Redis.

Each piece of work is done by one daemon (claims in the store and in
Redis), so a duplicate is rare: a retried step, or two daemons that both
observed the same fact. The first daemon to write ``ssop:notified:0:<id>``
(``SET NX`` with an expiry) sends it; the others drop it. Without Redis the
event is sent: a duplicate is better than a lost alarm.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

from ssop.core.errors import QueueUnavailable
from ssop.core.notify.events import Notification, Notifier
from ssop.core.queue.claims import Claims

log = logging.getLogger(__name__)

KIND = "notified"
KEEP_MS = 24 * 3600 * 1000


def event_id(event: Notification) -> str:
    """The same fact gives the same id on every daemon.

    An event about a request or an execution is that object in that state;
    any other (a daemon's own error) is also its time.
    """
    parts: Sequence[object] = (
        event.kind.value,
        event.request_id,
        event.execution_id,
        event.server,
        event.action,
        event.status,
        event.actor,
    )
    if event.request_id is None and event.execution_id is None:
        parts = (*parts, event.at.isoformat(), event.detail)
    text = "\0".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class DedupNotifier:
    def __init__(self, inner: Notifier, claims: Claims, token: str) -> None:
        self.inner = inner
        self.claims = claims
        self.token = token

    def notify(self, event: Notification) -> None:
        eid = event_id(event)
        try:
            first = bool(self.claims.claim(KIND, 0, [eid], self.token, KEEP_MS))
        except QueueUnavailable as e:
            log.warning(
                "notify: redis unavailable, sending without dedup: %s", e.message
            )
            first = True
        if first:
            self.inner.notify(event)
        else:
            log.info(
                "notify: event %s %s already sent by another daemon", event.kind, eid
            )

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
