"""Queries on the role -> capability matrix."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from ssop.core.accounts.permissions import DEFAULT_MATRIX, Capability, Role
from ssop.core.models import RoleCapability


class RoleRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def capabilities(self, role: Role) -> frozenset[Capability]:
        rows = self.s.exec(
            select(RoleCapability.capability).where(RoleCapability.role == role)
        )
        return frozenset(
            Capability(c) for c in rows if c in Capability._value2member_map_
        )

    def matrix(self) -> dict[Role, frozenset[Capability]]:
        return {role: self.capabilities(role) for role in Role}

    def grant(self, role: Role, cap: Capability) -> bool:
        if cap in self.capabilities(role):
            return False
        self.s.add(RoleCapability(role=role.value, capability=cap.value))
        self.s.flush()
        return True

    def revoke(self, role: Role, cap: Capability) -> bool:
        result = self.s.exec(
            delete(RoleCapability).where(
                col(RoleCapability.role) == role.value,
                col(RoleCapability.capability) == cap.value,
            )
        )
        return bool(result.rowcount)

    def seed_defaults(self) -> bool:
        """Write the default matrix when the table is empty; True when it did."""
        if self.s.exec(select(func.count()).select_from(RoleCapability)).one():
            return False
        for role, caps in DEFAULT_MATRIX.items():
            for cap in sorted(caps):
                self.s.add(RoleCapability(role=role.value, capability=cap.value))
        self.s.flush()
        return True
