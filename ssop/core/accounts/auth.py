"""Logging in and out, recognising a caller, and checking what it may do.

A login creates a random session token whose SHA-256 alone is stored. Every
permission check re-reads the caller from the database (see ssop.core.accounts.access).
Wrong passwords and unknown users get the same answer; locked accounts say
so, and unknown names lock too, so neither reveals who exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from ssop.core.accounts.access import (
    LOGIN_HINT,
    capabilities_in,
    refresh_in,
    require_in,
)
from ssop.core.accounts.credentials import (
    API_TOKEN_PREFIX,
    SESSION_PREFIX,
    is_valid_name,
    new_token,
    token_hash,
)
from ssop.core.accounts.lockout import LOGIN, Lockout, throttle_key
from ssop.core.accounts.passwords import PasswordHasher, check_password
from ssop.core.accounts.permissions import Capability, Principal, Role
from ssop.core.audit import AuditOutcome, record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import AuthSection
from ssop.core.errors import AuthenticationFailed, PermissionDenied
from ssop.core.models import User
from ssop.core.store.db import SessionFactory
from ssop.core.store.session_repo import SessionRepo
from ssop.core.store.user_repo import UserRepo

log = logging.getLogger(__name__)

INVALID = "invalid username or password"
DENIED = AuditOutcome.DENIED


@dataclass(frozen=True)
class LoginResult:
    principal: Principal
    expires_at: datetime
    token: str = field(repr=False)


@dataclass(frozen=True)
class WhoAmI:
    name: str
    role: Role
    kind: str
    expires_at: datetime | None
    capabilities: tuple[Capability, ...]


class AuthService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        settings: AuthSection,
        hasher: PasswordHasher,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.session_ttl = timedelta(hours=settings.session_hours)
        self.hasher = hasher
        self.lockout = Lockout(settings.lockout_failures, settings.lockout_minutes)

    def login(self, name: str, password: str) -> LoginResult:
        """Check a name and password and open a session.

        Raises:
            InvalidInput: the password is empty or over 72 bytes.
            AuthenticationFailed: wrong name or password, a locked account,
                or a disabled one (said only once the password is right).
        """
        check_password(password)
        with self.sessions() as s, s.begin():
            outcome = self._attempt(s, name, password, self.clock.now())
        if isinstance(outcome, AuthenticationFailed):
            raise outcome
        log.info("user %s: logged in", name)
        return outcome

    def _attempt(
        self, s: Session, name: str, password: str, now: datetime
    ) -> LoginResult | AuthenticationFailed:
        user = UserRepo(s).get(name) if is_valid_name(name) else None
        key = throttle_key(name, user)
        until = self.lockout.locked_until(s, key, now)
        if until is not None:
            record_in(s, now, key, "login.refused", key, "locked", outcome=DENIED)
            return _locked(until)
        if user is None or not self.hasher.verify(password, user.password_hash):
            if user is None:
                self.hasher.burn(password)
            until = self.lockout.record_failure(s, key, now, user)
            return _locked(until) if until else AuthenticationFailed(INVALID)
        if user.disabled:
            record_in(s, now, key, "login.refused", key, "disabled", outcome=DENIED)
            return AuthenticationFailed(f"account {user.name} is disabled")
        return self._open_session(s, user, now)

    def _open_session(self, s: Session, user: User, now: datetime) -> LoginResult:
        assert user.id is not None
        token = new_token(SESSION_PREFIX)
        expires = now + self.session_ttl
        row = SessionRepo(s).add(token_hash(token), user.id, now, expires)
        record_in(s, now, user.name, LOGIN, user.name)
        principal = Principal(
            user.name, Role(user.role), "user", user_id=user.id, session_id=row.id
        )
        return LoginResult(principal, expires, token)

    def logout(self, token: str) -> bool:
        """Revoke the session of ``token``; False when it was not live."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            repo = SessionRepo(s)
            row = repo.by_hash(token_hash(token))
            if row is None or row.revoked_at is not None:
                return False
            repo.revoke(row, now)
            user = UserRepo(s).get_by_id(row.user_id)
            name = user.name if user else f"user#{row.user_id}"
            record_in(s, now, name, "logout", name)
            return True

    def authenticate(self, token: str | None) -> Principal:
        """The principal a session or API token stands for.

        Raises:
            PermissionDenied: no token, or one that is unknown, expired,
                revoked, or belongs to a disabled or removed user.
        """
        if not token:
            raise PermissionDenied(
                "not logged in", hint=LOGIN_HINT + " (or set SSOP_TOKEN)"
            )
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            if token.startswith(API_TOKEN_PREFIX):
                return self._from_api_token(s, token, now)
            if token.startswith(SESSION_PREFIX):
                return self._from_session(s, token, now)
        raise PermissionDenied("the credential is not an ssop session or API token")

    def _from_session(self, s: Session, token: str, now: datetime) -> Principal:
        row = SessionRepo(s).by_hash(token_hash(token))
        if row is None or row.revoked_at is not None:
            raise PermissionDenied("your session was revoked", hint=LOGIN_HINT)
        if row.expires_at <= now:
            raise PermissionDenied("your session expired", hint=LOGIN_HINT)
        claim = Principal("?", Role.VIEWER, "user", row.user_id, session_id=row.id)
        return refresh_in(s, now, claim)

    def _from_api_token(self, s: Session, token: str, now: datetime) -> Principal:
        from ssop.core.store.token_repo import TokenRepo

        repo = TokenRepo(s)
        row = repo.by_hash(token_hash(token))
        if row is None:
            raise PermissionDenied("SSOP_TOKEN is not a known API token")
        claim = Principal(row.name, Role(row.role), "token", token_id=row.id)
        principal = refresh_in(s, now, claim)
        row.last_used_at = now
        repo.save(row)
        return principal

    @refusals_audited("authorize", "{capability}")
    def require(self, principal: Principal, capability: Capability) -> Principal:
        """The principal as it stands now, if it holds ``capability`` now.

        Raises:
            PermissionDenied: see ``ssop.core.accounts.access.require_in``.
        """
        with self.sessions() as s, s.begin():
            return require_in(s, self.clock.now(), principal, capability)

    @refusals_audited("whoami")
    def whoami(self, principal: Principal) -> WhoAmI:
        """Who the caller is now, its role, capabilities and session expiry."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = refresh_in(s, now, principal)
            caps = tuple(sorted(capabilities_in(s, current.role)))
            return WhoAmI(
                current.name, current.role, current.kind, _expiry(s, current), caps
            )


def _expiry(s: Session, principal: Principal) -> datetime | None:
    if principal.session_id is not None:
        row = SessionRepo(s).get(principal.session_id)
        return row.expires_at if row else None
    if principal.token_id is not None:
        from ssop.core.store.token_repo import TokenRepo

        token = TokenRepo(s).get(principal.token_id)
        return token.expires_at if token else None
    return None


def _locked(until: datetime) -> AuthenticationFailed:
    return AuthenticationFailed(
        "account locked after too many failed logins; "
        f"try again after {until:%Y-%m-%d %H:%M} UTC"
    )
