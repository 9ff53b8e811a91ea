"""Authorisation checks made against the database at the time of each call.

A principal is only a claim: before anything is allowed, its user or token
is read again, so a user who was disabled or demoted a moment ago loses
access at once. Every service runs the check inside its own transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from ssop.core.accounts.permissions import Capability, Principal, Role
from ssop.core.errors import PermissionDenied
from ssop.core.store.role_repo import RoleRepo
from ssop.core.store.session_repo import SessionRepo
from ssop.core.store.user_repo import UserRepo

RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}
LOGIN_HINT = "run: ssop login"


def require_in(
    s: Session, now: datetime, principal: Principal, capability: Capability
) -> Principal:
    """The principal as it stands now, if its role holds ``capability``.

    Raises:
        PermissionDenied: the user or token is gone, disabled, expired or
            revoked, or the role lacks the capability.
    """
    current = refresh_in(s, now, principal)
    if capability not in capabilities_in(s, current.role):
        raise PermissionDenied(
            f"permission denied: {current.actor} (role {current.role}) "
            f"lacks {capability}"
        )
    return current


def capabilities_in(s: Session, role: Role) -> frozenset[Capability]:
    """The role's stored capabilities; names this ssop does not know are skipped."""
    names = RoleRepo(s).capabilities(role)
    return frozenset(c for c in Capability if c.value in names)


def refresh_in(s: Session, now: datetime, principal: Principal) -> Principal:
    """Re-read the principal's user or token; raises PermissionDenied."""
    if principal.kind == "user":
        return _refresh_user(s, now, principal)
    if principal.kind == "token":
        return _refresh_token(s, now, principal)
    return principal


def require_rank(actor: Principal, role: Role, doing: str) -> None:
    """Refuse to hand out, or act on, a role above the actor's own."""
    if RANK[role] > RANK[actor.role]:
        raise PermissionDenied(
            f"permission denied: {actor.actor} (role {actor.role}) cannot {doing} "
            f"role {role}, which is above its own"
        )


def _refresh_user(s: Session, now: datetime, principal: Principal) -> Principal:
    user = UserRepo(s).get_by_id(principal.user_id) if principal.user_id else None
    if user is None:
        raise PermissionDenied(f"user {principal.name} no longer exists")
    if user.disabled:
        raise PermissionDenied(f"account {user.name} is disabled")
    if principal.session_id is not None:
        row = SessionRepo(s).get(principal.session_id)
        if row is None or row.revoked_at is not None:
            raise PermissionDenied("your session was revoked", hint=LOGIN_HINT)
        if row.expires_at <= now:
            raise PermissionDenied("your session expired", hint=LOGIN_HINT)
    return replace(principal, name=user.name, role=Role(user.role))


def _refresh_token(s: Session, now: datetime, principal: Principal) -> Principal:
    # the token table loads for token callers only (a login session needs none)
    from ssop.core.store.token_repo import TokenRepo

    row = TokenRepo(s).get(principal.token_id) if principal.token_id else None
    if row is None or row.revoked_at is not None:
        raise PermissionDenied(f"API token {principal.name} was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise PermissionDenied(f"API token {principal.name} expired")
    return replace(principal, role=Role(row.role))
