"""The default ReadingsSource: the newest metric sample the crawl stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ssop.core.store.db import SessionFactory
from ssop.core.store.policy_repo import PolicyRepo


class SampleReadings:
    """Reads ``metric_samples``; a server never crawled has no readings."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def latest(self, server: str) -> Mapping[str, Any] | None:
        with self.sessions() as s:
            row = PolicyRepo(s).latest_sample(server)
            return None if row is None else row.model_dump()
