"""Queries on users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from ssop.core.models import User


class UserRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, name: str) -> User | None:
        return self.s.exec(select(User).where(User.name == name)).first()

    def get_by_id(self, user_id: int) -> User | None:
        return self.s.get(User, user_id)

    def lock_row(self, name: str) -> User | None:
        """The user, row-locked until the transaction ends (MariaDB)."""
        return self.s.exec(
            select(User).where(User.name == name).with_for_update()
        ).first()

    def all(self) -> list[User]:
        return list(self.s.exec(select(User).order_by(col(User.name))))

    def count(self) -> int:
        return self.s.exec(select(func.count()).select_from(User)).one()

    def active_names(self, role: str) -> list[str]:
        """Enabled users of ``role``, row-locked so two demotions cannot race
        past a check on them."""
        rows = self.s.exec(
            select(User.name)
            .where(User.role == role, col(User.disabled).is_(False))
            .with_for_update()
        )
        return list(rows)

    def add(self, name: str, password_hash: str, role: str, now: datetime) -> User:
        user = User(
            name=name,
            password_hash=password_hash,
            role=role,
            created_at=now,
            updated_at=now,
        )
        self.s.add(user)
        self.s.flush()
        return user

    def save(self, user: User, now: datetime) -> None:
        user.updated_at = now
        self.s.add(user)
        self.s.flush()

    def delete(self, user: User) -> None:
        self.s.delete(user)
        self.s.flush()
