"""Queries on remediation requests, and the conditional updates that move them.

Every state change is ``UPDATE ... WHERE id = ? AND status IN (...)``; its
row count says whether this caller won. Reading first and writing after is
not safe under MariaDB's REPEATABLE READ, so nothing here does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ssop.core.errors import NotFound
from ssop.core.models import ApprovalRequest

MAX_LIST = 1000


class ApprovalRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, row: ApprovalRequest) -> ApprovalRequest | None:
        """Insert ``row``; None when an open request for the same change exists."""
        try:
            with self.s.begin_nested():
                self.s.add(row)
                self.s.flush()
        except IntegrityError:
            return None
        return row

    def get(self, request_id: int) -> ApprovalRequest:
        row = self.find(request_id)
        if row is None:
            raise NotFound(
                f"no approval request #{request_id}", hint="see: ssop approvals list"
            )
        return row

    def find(self, request_id: int) -> ApprovalRequest | None:
        query = (
            select(ApprovalRequest)
            .where(ApprovalRequest.id == request_id)
            .execution_options(populate_existing=True)
        )
        return self.s.exec(query).first()

    def find_open(self, key: str) -> ApprovalRequest | None:
        query = select(ApprovalRequest).where(ApprovalRequest.open_key == key)
        return self.s.exec(query).first()

    def newest(
        self, statuses: Sequence[str] = (), limit: int = 100, manual_only: bool = False
    ) -> list[ApprovalRequest]:
        """Newest first; ``statuses`` filters; ``manual_only`` hides automatic runs."""
        query = select(ApprovalRequest)
        if statuses:
            query = query.where(col(ApprovalRequest.status).in_(list(statuses)))
        if manual_only:
            query = query.where(ApprovalRequest.trigger != "auto")
        query = query.order_by(col(ApprovalRequest.id).desc()).limit(
            min(limit, MAX_LIST)
        )
        return list(self.s.exec(query))

    def move(
        self,
        request_id: int,
        from_statuses: Sequence[str],
        to_status: str,
        *,
        not_expired_at: datetime | None = None,
        holder: str | None = None,
        close: bool = False,
        **values: Any,
    ) -> bool:
        """Move one request if it is in ``from_statuses``; True when this call did.

        ``not_expired_at`` also requires ``expires_at`` to be later;
        ``holder`` requires that claimant; ``close`` frees the open key.
        """
        stmt = update(ApprovalRequest).where(
            col(ApprovalRequest.id) == request_id,
            col(ApprovalRequest.status).in_(list(from_statuses)),
        )
        if not_expired_at is not None:
            stmt = stmt.where(col(ApprovalRequest.expires_at) > not_expired_at)
        if holder is not None:
            stmt = stmt.where(col(ApprovalRequest.claimed_by) == holder)
        changes = dict(values, status=to_status, version=ApprovalRequest.version + 1)
        if close:
            changes["open_key"] = None
        stmt = stmt.values(**changes).execution_options(synchronize_session=False)
        result = self.s.exec(stmt)
        return int(result.rowcount) == 1

    def hold(self, request_id: int, statuses: Sequence[str]) -> bool:
        """Lock the request for this transaction if it is in ``statuses``.

        A write, not a read: a concurrent ``move`` either committed first
        (then this is False) or waits until this transaction ends.
        """
        stmt = (
            update(ApprovalRequest)
            .where(
                col(ApprovalRequest.id) == request_id,
                col(ApprovalRequest.status).in_(list(statuses)),
            )
            .values(version=ApprovalRequest.version + 1)
            .execution_options(synchronize_session=False)
        )
        return int(self.s.exec(stmt).rowcount) == 1

    def ids_where(
        self,
        statuses: Sequence[str],
        *,
        expires_before: datetime | None = None,
        claimed_by: str | None = None,
    ) -> list[int]:
        query = select(ApprovalRequest.id).where(
            col(ApprovalRequest.status).in_(list(statuses))
        )
        if expires_before is not None:
            query = query.where(col(ApprovalRequest.expires_at) <= expires_before)
        if claimed_by is not None:
            query = query.where(col(ApprovalRequest.claimed_by) == claimed_by)
        return [i for i in self.s.exec(query.order_by(col(ApprovalRequest.id))) if i]

    def in_flight(self, statuses: Sequence[str]) -> list[ApprovalRequest]:
        query = select(ApprovalRequest).where(
            col(ApprovalRequest.status).in_(list(statuses))
        )
        return list(self.s.exec(query.order_by(col(ApprovalRequest.id))))
