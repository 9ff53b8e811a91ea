"""What a crawl returns to its caller: one line per server, and the totals.

The daemon reads ``summary()``, ``failed``, ``degraded`` and ``readings``
(server -> gauge name -> value, for /metrics); the CLI renders ``hosts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.crawl.buffer import HostRecord
from ssop.core.crawl.parse import gauges
from ssop.core.work import StepReport


@dataclass(frozen=True)
class HostReport:
    """One server's visit. ``values`` are the sample's columns when readings came."""

    server: str
    ok: bool
    cause: str | None
    message: str
    at: datetime
    duration_s: float
    values: Mapping[str, Any] | None = None
    outputs: int = 0

    @classmethod
    def of(cls, record: HostRecord) -> HostReport:
        return cls(
            record.server,
            record.ok,
            record.cause.value if record.cause else None,
            record.message,
            record.at,
            record.duration_s,
            record.values,
            len(record.outputs),
        )

    def gauges(self) -> dict[str, float]:
        return gauges(self.values) if self.values is not None else {}


@dataclass(frozen=True)
class CrawlReport(StepReport):
    """A crawl's outcome.

    ``pending``: results still held in memory because the store refused
    them; ``dropped``: results lost to a full buffer since the service
    started; ``skipped``: servers with no get action assigned;
    ``interrupted``: a Ctrl-C stopped it, leaving ``not_crawled`` undone.
    """

    started_at: datetime
    duration_s: float
    hosts: tuple[HostReport, ...]
    stored: int = 0
    pending: int = 0
    dropped: int = 0
    store_error: str | None = None
    skipped: tuple[str, ...] = ()
    stopped: bool = False
    interrupted: bool = False
    not_crawled: tuple[str, ...] = ()
    fenced: int = 0
    """Visits or results dropped because this daemon's lease on them ran out."""

    @property
    def failed(self) -> int:
        return sum(1 for h in self.hosts if not h.ok)

    @property
    def succeeded(self) -> int:
        return len(self.hosts) - self.failed

    @property
    def degraded(self) -> bool:
        """The store is refusing writes: results wait in memory."""
        return self.store_error is not None or self.pending > 0

    @property
    def readings(self) -> dict[str, dict[str, float]]:
        return {h.server: h.gauges() for h in self.hosts if h.values is not None}

    def summary(self) -> str:
        text = (
            f"crawled {len(self.hosts)} server(s) in {self.duration_s:.1f}s: "
            f"{self.succeeded} ok, {self.failed} failed"
        )
        if self.pending:
            text += f"; {self.pending} result(s) wait for the store"
        if self.stopped:
            text += "; stopped early"
        if self.interrupted:
            text += f"; interrupted, {len(self.not_crawled)} not crawled"
        return text


class CrawlInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a crawl: ``report`` has the servers that finished (and
    were stored), and those left out in ``report.not_crawled``."""

    def __init__(self, report: CrawlReport) -> None:
        super().__init__(report.summary())
        self.report = report
