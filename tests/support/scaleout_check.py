"""The scale-out checker: from the visits stored, was each host crawled once
per interval, and did any approval or action execute twice?

Used by the integration test (real daemons), the randomized fault schedules
(simulated daemons over the real claim code) and ``bench/scaleout.py``.
A host may be missed only in an interval in which a daemon died or was
paused (``excused``); crawled twice is never allowed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ssop.core.crawl.rendezvous import interval_of
from ssop.core.models import Execution

Visit = tuple[str, datetime]


@dataclass(frozen=True)
class IntervalCount:
    interval: int
    crawled: int
    twice: tuple[str, ...]
    missed: tuple[str, ...]

    def line(self) -> str:
        return (
            f"interval {self.interval}: crawled {self.crawled},"
            f" twice {len(self.twice)}, missed {len(self.missed)}"
        )


def per_interval(
    visits: Iterable[Visit],
    hosts: Sequence[str],
    every_s: float,
    intervals: Iterable[int],
) -> list[IntervalCount]:
    """Counts for each of ``intervals`` (visits outside them are ignored)."""
    wanted = list(intervals)
    counts: dict[int, Counter[str]] = {k: Counter() for k in wanted}
    for server, at in visits:
        k = interval_of(at, every_s)
        if k in counts:
            counts[k][server] += 1
    out = []
    for k in wanted:
        seen = counts[k]
        out.append(
            IntervalCount(
                interval=k,
                crawled=len(seen),
                twice=tuple(sorted(h for h, n in seen.items() if n > 1)),
                missed=tuple(sorted(h for h in hosts if h not in seen)),
            )
        )
    return out


def violations(counts: Iterable[IntervalCount], excused: set[int]) -> list[str]:
    """What breaks the target: any host twice, a miss in an unexcused interval."""
    problems = []
    for c in counts:
        if c.twice:
            problems.append(f"interval {c.interval}: crawled twice: {c.twice[:5]}")
        if c.missed and c.interval not in excused:
            problems.append(f"interval {c.interval}: missed: {c.missed[:5]}")
    return problems


def repeated_executions(s: Session) -> dict[int, int]:
    """Approval requests with more than one execution: request id -> count."""
    query = (
        select(Execution.request_id, func.count())
        .where(col(Execution.request_id).is_not(None))
        .group_by(col(Execution.request_id))
        .having(func.count() > 1)
    )
    return {int(rid): int(n) for rid, n in s.exec(query) if rid is not None}


def executions_of(s: Session, requests: list[int]) -> dict[int, int]:
    """How many executions each of ``requests`` has (those with none left out)."""
    rows = s.exec(
        select(Execution.request_id).where(col(Execution.request_id).in_(requests))
    )
    return dict(Counter(rid for rid in rows if rid is not None))
