"""Who is using the dashboard and what they may do, checked once at start.

The core checks every action again; these flags only decide which keys a
screen offers, so a viewer is not shown approve, reject, run or pause.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.services import Services


@dataclass(frozen=True)
class TuiSession:
    services: Services
    principal: Principal
    capabilities: frozenset[Capability]

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    @property
    def who(self) -> str:
        return f"{self.principal.actor} ({self.principal.role.value})"


def open_session(services: Services, token: str | None) -> TuiSession:
    """Authenticate ``token`` (a login session or API token) against the store.

    Raises:
        AuthenticationFailed: no token, or one the store does not accept.
        PermissionDenied: the caller lacks reports.read.
        StoreError: the store is unreachable or not initialised.
    """
    services.store.require_current()
    principal = services.auth.authenticate(token)
    services.auth.require(principal, Capability.REPORTS_READ)
    return session_of(services, principal)


def session_of(services: Services, principal: Principal) -> TuiSession:
    """The session of an authenticated ``principal``, with its capabilities now."""
    me = services.auth.whoami(principal)
    return TuiSession(services, principal, frozenset(me.capabilities))
