"""The counts retention carried over from the rows it deleted (``pruned_counts``).

A counter read from the store is the live rows' count plus what was carried
here, so deleting old rows never makes it drop.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from ssop.core.models import PrunedCount

# metric keys; the label values each stores are named where they are counted
CRAWL_FAILURES = "crawl_failures"  # server, cause
EXECUTIONS = "executions"  # status, trigger
LLM_CALLS = "llm_calls"  # outcome, ""

Labels = tuple[str, str]


class CounterRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def carry(self, metric: str, counts: Mapping[Labels, int]) -> None:
        """Add ``counts`` to what ``metric`` carries, in the caller's transaction."""
        for (a, b), n in counts.items():
            if n and not self._add(metric, a, b, n):
                row = {"metric": metric, "a": a, "b": b, "count": n}
                self.s.execute(insert(PrunedCount), [row])

    def _add(self, metric: str, a: str, b: str, n: int) -> bool:
        # Adding in the UPDATE itself, not read-then-write: two prunes that
        # meet here serialise on the row instead of losing one's count.
        result = self.s.execute(
            update(PrunedCount)
            .where(col(PrunedCount.metric) == metric)
            .where(col(PrunedCount.a) == a, col(PrunedCount.b) == b)
            .values(count=col(PrunedCount.count) + n)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def carried(self, metric: str) -> dict[Labels, int]:
        query = select(PrunedCount.a, PrunedCount.b, PrunedCount.count)
        rows = self.s.exec(query.where(PrunedCount.metric == metric))
        return {(a, b): int(n) for a, b, n in rows}
