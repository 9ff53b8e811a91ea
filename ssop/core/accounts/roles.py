"""The role -> capability matrix: read it, grant and revoke capabilities.

The admin role always keeps users.manage, so someone can always repair the
matrix. Nobody grants a capability they lack, or changes a role above their own.
"""

from __future__ import annotations

from ssop.core.accounts.access import capabilities_in, require_in, require_rank
from ssop.core.accounts.permissions import (
    Capability,
    Principal,
    Role,
    parse_capability,
    parse_role,
)
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.errors import Conflict, PermissionDenied
from ssop.core.store.db import SessionFactory
from ssop.core.store.role_repo import RoleRepo

MANAGE = Capability.USERS_MANAGE


class RoleService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("role.list")
    def matrix(self, actor: Principal) -> dict[Role, frozenset[Capability]]:
        """Raises PermissionDenied without users.manage."""
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), actor, MANAGE)
            return {r: capabilities_in(s, r) for r in Role}

    @refusals_audited("role.grant", "{role} {capability}")
    def grant(self, actor: Principal, role: str, capability: str) -> bool:
        """Give ``role`` a capability; False when it already had it.

        Raises:
            InvalidInput: unknown role or capability.
            PermissionDenied: no users.manage, a role above the actor's, or a
                capability the actor itself lacks.
        """
        r, cap = parse_role(role), parse_capability(capability)
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, actor, MANAGE)
            require_rank(current, r, "change")
            if cap not in capabilities_in(s, current.role):
                raise PermissionDenied(
                    f"permission denied: {current.actor} cannot grant {cap}, "
                    "which it does not hold"
                )
            changed = RoleRepo(s).grant(r, cap)
            if changed:
                record_in(s, now, current.actor, "role.grant", r.value, cap.value)
            return changed

    @refusals_audited("role.revoke", "{role} {capability}")
    def revoke(self, actor: Principal, role: str, capability: str) -> bool:
        """Take a capability from ``role``; False when it did not have it.

        Raises:
            InvalidInput: unknown role or capability.
            PermissionDenied: no users.manage, or a role above the actor's.
            Conflict: users.manage from admin.
        """
        r, cap = parse_role(role), parse_capability(capability)
        if r is Role.ADMIN and cap is MANAGE:
            raise Conflict(
                "the admin role always keeps users.manage, "
                "so the matrix can be repaired"
            )
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, actor, MANAGE)
            require_rank(current, r, "change")
            changed = RoleRepo(s).revoke(r, cap)
            if changed:
                record_in(s, now, current.actor, "role.revoke", r.value, cap.value)
            return changed
