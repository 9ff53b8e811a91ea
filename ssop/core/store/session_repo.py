"""Queries on CLI login sessions (stored as SHA-256 hashes of their tokens)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from ssop.core.models import LoginSession


class SessionRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def by_hash(self, token_hash: str) -> LoginSession | None:
        return self.s.exec(
            select(LoginSession).where(LoginSession.token_hash == token_hash)
        ).first()

    def get(self, session_id: int) -> LoginSession | None:
        return self.s.get(LoginSession, session_id)

    def add(
        self, token_hash: str, user_id: int, now: datetime, expires_at: datetime
    ) -> LoginSession:
        row = LoginSession(
            token_hash=token_hash,
            user_id=user_id,
            created_at=now,
            expires_at=expires_at,
        )
        self.s.add(row)
        self.s.flush()
        return row

    def revoke(self, row: LoginSession, now: datetime) -> None:
        row.revoked_at = now
        self.s.add(row)
        self.s.flush()

    def revoke_all_of(
        self, user_id: int, now: datetime, keep: int | None = None
    ) -> int:
        """Revoke every live session of a user, except ``keep``; returns how many."""
        stmt = update(LoginSession).where(
            col(LoginSession.user_id) == user_id,
            col(LoginSession.revoked_at).is_(None),
        )
        if keep is not None:
            stmt = stmt.where(col(LoginSession.id) != keep)
        result = self.s.exec(stmt.values(revoked_at=now))
        return int(result.rowcount)
