"""Queries on verifications and on actions demoted from automatic execution."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ssop.core.models import AutoDemotion, Verification


class VerifyRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: Verification) -> Verification:
        self.s.add(row)
        self.s.flush()
        return row

    def due(self, now: datetime, limit: int = 500) -> list[Verification]:
        query = (
            select(Verification)
            .where(col(Verification.checked_at).is_(None), Verification.due_at <= now)
            .order_by(col(Verification.due_at))
            .limit(limit)
        )
        return list(self.s.exec(query))

    def record(
        self, verification_id: int, now: datetime, cleared: bool | None, detail: str
    ) -> bool:
        """Store a verdict once; False when another checker stored it first."""
        stmt = (
            update(Verification)
            .where(
                col(Verification.id) == verification_id,
                col(Verification.checked_at).is_(None),
            )
            .values(checked_at=now, cleared=cleared, detail=detail)
            .execution_options(synchronize_session=False)
        )
        return int(self.s.exec(stmt).rowcount) == 1

    def recent_verdicts(
        self, server: str, action: str, after: datetime | None, limit: int
    ) -> list[bool]:
        """The latest ``limit`` definite verdicts (newest first) after ``after``."""
        query = select(Verification.cleared).where(
            Verification.server_name == server,
            Verification.action_name == action,
            col(Verification.cleared).is_not(None),
        )
        if after is not None:
            query = query.where(col(Verification.checked_at) > after)
        query = query.order_by(
            col(Verification.checked_at).desc(), col(Verification.id).desc()
        )
        return [bool(v) for v in self.s.exec(query.limit(limit))]

    def verdict_counts(self, since: datetime) -> dict[str, dict[bool | None, int]]:
        """{action: {cleared: count}} over verdicts recorded after ``since``."""
        query = (
            select(Verification.action_name, Verification.cleared, func.count())
            .where(col(Verification.checked_at) > since)
            .group_by(col(Verification.action_name), col(Verification.cleared))
        )
        counts: dict[str, dict[bool | None, int]] = {}
        for action, cleared, n in self.s.exec(query):
            counts.setdefault(action, {})[cleared] = int(n)
        return counts

    # -- demotions -----------------------------------------------------------

    def active_demotion(self, server: str, action: str) -> AutoDemotion | None:
        query = select(AutoDemotion).where(
            AutoDemotion.server_name == server,
            AutoDemotion.action_name == action,
            col(AutoDemotion.cleared_at).is_(None),
        )
        return self.s.exec(query).first()

    def last_cleared(self, server: str, action: str) -> datetime | None:
        query = (
            select(AutoDemotion.cleared_at)
            .where(
                AutoDemotion.server_name == server,
                AutoDemotion.action_name == action,
                col(AutoDemotion.cleared_at).is_not(None),
            )
            .order_by(col(AutoDemotion.cleared_at).desc())
        )
        return self.s.exec(query).first()

    def demote(self, server: str, action: str, now: datetime, reason: str) -> bool:
        """Demote unless already demoted; True when this call added the row."""
        if self.active_demotion(server, action) is not None:
            return False
        self.s.add(
            AutoDemotion(
                server_name=server, action_name=action, since=now, reason=reason
            )
        )
        self.s.flush()
        return True

    def clear(self, server: str, action: str, now: datetime, by: str) -> bool:
        stmt = (
            update(AutoDemotion)
            .where(
                col(AutoDemotion.server_name) == server,
                col(AutoDemotion.action_name) == action,
                col(AutoDemotion.cleared_at).is_(None),
            )
            .values(cleared_at=now, cleared_by=by)
            .execution_options(synchronize_session=False)
        )
        return int(self.s.exec(stmt).rowcount) >= 1

    def demotions(self) -> list[AutoDemotion]:
        query = select(AutoDemotion).where(col(AutoDemotion.cleared_at).is_(None))
        return list(self.s.exec(query.order_by(col(AutoDemotion.since))))
