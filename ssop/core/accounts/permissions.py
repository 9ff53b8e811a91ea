"""Roles, capabilities, and the default matrix seeded into the database."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


class Capability(StrEnum):
    SERVERS_READ = "servers.read"
    SERVERS_WRITE = "servers.write"
    ACTIONS_READ = "actions.read"
    ACTIONS_WRITE = "actions.write"
    ACTIONS_RUN = "actions.run"
    APPROVALS_DECIDE = "approvals.decide"
    USERS_MANAGE = "users.manage"
    REPORTS_READ = "reports.read"
    SETTINGS_WRITE = "settings.write"
    AUDIT_READ = "audit.read"


_READ = {
    Capability.SERVERS_READ,
    Capability.ACTIONS_READ,
    Capability.REPORTS_READ,
}
DEFAULT_MATRIX: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset(_READ),
    Role.OPERATOR: frozenset(
        _READ | {Capability.ACTIONS_RUN, Capability.APPROVALS_DECIDE}
    ),
    Role.ADMIN: frozenset(Capability),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user, an API token, or ssop itself (the policy engine)."""

    name: str
    role: Role
    kind: str  # "user" | "token" | "system"
    user_id: int | None = None
    # The login session or API token the claim came from, re-checked on each use.
    session_id: int | None = None
    token_id: int | None = None

    @property
    def actor(self) -> str:
        return self.name if self.kind == "user" else f"{self.kind}:{self.name}"


SYSTEM = Principal(name="policy", role=Role.ADMIN, kind="system")


def parse_role(value: str) -> Role:
    from ssop.core.errors import InvalidInput

    try:
        return Role(value)
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r} (choose from {names})") from None


def parse_capability(value: str) -> Capability:
    from ssop.core.errors import InvalidInput

    try:
        return Capability(value)
    except ValueError:
        raise InvalidInput(
            f"unknown capability {value!r}", hint="see: ssop role list"
        ) from None
