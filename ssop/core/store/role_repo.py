"""Queries on the role -> capability matrix, by role and capability name."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ssop.core.models import RoleCapability


class RoleRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def capabilities(self, role: str) -> frozenset[str]:
        rows = self.s.exec(
            select(RoleCapability.capability).where(RoleCapability.role == role)
        )
        return frozenset(rows)

    def grant(self, role: str, cap: str) -> bool:
        if cap in self.capabilities(role):
            return False
        self.s.add(RoleCapability(role=role, capability=cap))
        self.s.flush()
        return True

    def revoke(self, role: str, cap: str) -> bool:
        result = self.s.exec(
            delete(RoleCapability).where(
                col(RoleCapability.role) == role,
                col(RoleCapability.capability) == cap,
            )
        )
        return bool(result.rowcount)

    def seed_defaults(self, grants: Iterable[tuple[str, str]]) -> bool:
        """Write the (role, capability) ``grants`` when the table is empty;
        True when it did."""
        if self.s.exec(select(func.count()).select_from(RoleCapability)).one():
            return False
        for role, cap in grants:
            self.s.add(RoleCapability(role=role, capability=cap))
        self.s.flush()
        return True
