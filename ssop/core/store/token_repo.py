"""Queries on API tokens (stored as SHA-256 hashes)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from ssop.core.models import ApiToken


class TokenRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def by_hash(self, token_hash: str) -> ApiToken | None:
        return self.s.exec(
            select(ApiToken).where(ApiToken.token_hash == token_hash)
        ).first()

    def get(self, token_id: int) -> ApiToken | None:
        return self.s.get(ApiToken, token_id)

    def by_name(self, name: str) -> ApiToken | None:
        return self.s.exec(select(ApiToken).where(ApiToken.name == name)).first()

    def all(self) -> list[ApiToken]:
        return list(self.s.exec(select(ApiToken).order_by(col(ApiToken.name))))

    def add(
        self,
        name: str,
        token_hash: str,
        role: str,
        created_by: str,
        now: datetime,
        expires_at: datetime,
    ) -> ApiToken:
        row = ApiToken(
            name=name,
            token_hash=token_hash,
            role=role,
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
        )
        self.s.add(row)
        self.s.flush()
        return row

    def save(self, row: ApiToken) -> None:
        self.s.add(row)
        self.s.flush()
