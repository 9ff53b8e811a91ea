"""User accounts: add, list, remove, passwords, roles, enabling, unlocking.

Two rules guard against lock-out and escalation: the last enabled admin can
never be removed, disabled or demoted, and nobody hands out (or acts on) a
role above their own. Disabled (by a person) and locked (by failed logins)
are separate states: enabling does not unlock, and neither does a new
password; ``unlock`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from ssop.core.accounts.access import refresh_in, require_in, require_rank
from ssop.core.accounts.credentials import is_valid_name
from ssop.core.accounts.lockout import Lockout
from ssop.core.accounts.passwords import PasswordHasher, check_new_password
from ssop.core.accounts.permissions import Capability, Principal, Role, parse_role
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import AuthSection
from ssop.core.errors import AuthenticationFailed, Conflict, InvalidInput, NotFound
from ssop.core.models import User
from ssop.core.store.db import SessionFactory
from ssop.core.store.session_repo import SessionRepo
from ssop.core.store.user_repo import UserRepo

MANAGE = Capability.USERS_MANAGE


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: Role
    disabled: bool
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class StateChange:
    """What ``enable``, ``disable`` or ``unlock`` did: ``changed`` is False
    when the account already was that way; ``user`` is how it is now."""

    user: UserInfo
    changed: bool


class UserService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        hasher: PasswordHasher,
        settings: AuthSection | None = None,
    ) -> None:
        auth = settings or AuthSection()
        self.sessions = sessions
        self.clock = clock
        self.hasher = hasher
        self.min_password_length = auth.min_password_length
        self.lockout = Lockout(auth.lockout_failures, auth.lockout_minutes)

    @refusals_audited("user.add", "{name}")
    def add(self, actor: Principal, name: str, role: str, password: str) -> UserInfo:
        """Create a user.

        Raises:
            InvalidInput: bad name, role or password.
            PermissionDenied: no users.manage, or a role above the actor's.
            Conflict: the name is taken.
        """
        new_role = parse_role(role)
        check_name(name)
        check_new_password(password, self.min_password_length)
        password_hash = self.hasher.hash(password)
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, actor, MANAGE)
            require_rank(current, new_role, "give")
            repo = UserRepo(s)
            if repo.get(name) is not None:
                raise Conflict(f"user {name} already exists")
            user = repo.add(name, password_hash, new_role, now)
            record_in(s, now, current.actor, "user.add", name, f"role={new_role}")
            return _info(user, now)

    @refusals_audited("user.list")
    def list(self, actor: Principal) -> list[UserInfo]:
        """Raises PermissionDenied without users.manage."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, actor, MANAGE)
            return [_info(u, now) for u in UserRepo(s).all()]

    @refusals_audited("user.remove", "{name}")
    def remove(self, actor: Principal, name: str) -> None:
        """Raises NotFound, PermissionDenied, or Conflict (self or last admin)."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current, user = self._target(s, now, actor, name)
            if user.id == current.user_id:
                raise Conflict("you cannot remove your own account")
            _keep_an_admin(s, user, "remove")
            UserRepo(s).delete(user)
            record_in(s, now, current.actor, "user.remove", name)

    @refusals_audited("user.role", "{name}")
    def set_role(self, actor: Principal, name: str, role: str) -> UserInfo:
        """Raises InvalidInput, NotFound, PermissionDenied, Conflict (last admin)."""
        new_role = parse_role(role)
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current, user = self._target(s, now, actor, name)
            require_rank(current, new_role, "give")
            old = user.role
            if new_role is not Role.ADMIN:
                _keep_an_admin(s, user, "demote")
            user.role = new_role.value
            UserRepo(s).save(user, now)
            record_in(s, now, current.actor, "user.role", name, f"{old} -> {new_role}")
            return _info(user, now)

    @refusals_audited("user.enable", "{name}")
    def enable(self, actor: Principal, name: str) -> StateChange:
        """Let a disabled user log in again; a lock from failed logins stays.

        Raises:
            NotFound, PermissionDenied: no such user, or not the caller's to change.
        """
        return self._set_disabled(actor, name, False)

    @refusals_audited("user.disable", "{name}")
    def disable(self, actor: Principal, name: str) -> StateChange:
        """Raises NotFound, PermissionDenied, Conflict (self or last admin)."""
        return self._set_disabled(actor, name, True)

    def _set_disabled(self, actor: Principal, name: str, disabled: bool) -> StateChange:
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current, user = self._target(s, now, actor, name)
            if disabled and user.id == current.user_id:
                raise Conflict("you cannot disable your own account")
            if disabled:
                _keep_an_admin(s, user, "disable")
            changed = user.disabled != disabled
            user.disabled = disabled
            UserRepo(s).save(user, now)
            if changed:
                event = "user.disable" if disabled else "user.enable"
                record_in(s, now, current.actor, event, name)
            return StateChange(self._info(s, user, now), changed)

    @refusals_audited("user.unlock", "{name}")
    def unlock(self, actor: Principal, name: str) -> StateChange:
        """Lift a lock from failed logins at once (needs users.manage).

        Raises:
            NotFound, PermissionDenied: as for ``disable``.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current, user = self._target(s, now, actor, name)
            changed = self.lockout.unlock(s, current.actor, user, now)
            return StateChange(self._info(s, user, now), changed)

    @refusals_audited("user.passwd", "{name}")
    def passwd(
        self,
        actor: Principal,
        name: str | None,
        new_password: str,
        current_password: str | None = None,
    ) -> str:
        """Set a password; returns the user's name.

        Changing one's own password needs the current one; changing anyone
        else's needs users.manage. Other sessions of the user are revoked.

        Raises:
            InvalidInput, AuthenticationFailed (wrong current password),
            NotFound, PermissionDenied.
        """
        own = actor.kind == "user" and name in (None, actor.name)
        if name is None and not own:
            raise InvalidInput("name the user whose password to set")
        check_new_password(new_password, self.min_password_length)
        password_hash = self.hasher.hash(new_password)
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            if own:
                current, user = self._self(s, now, actor, current_password)
            else:
                current, user = self._target(s, now, actor, name or "")
            user.password_hash = password_hash
            UserRepo(s).save(user, now)
            assert user.id is not None
            keep = current.session_id if own else None
            SessionRepo(s).revoke_all_of(user.id, now, keep=keep)
            record_in(s, now, current.actor, "user.passwd", user.name)
            return user.name

    def _self(
        self, s: Session, now: datetime, actor: Principal, password: str | None
    ) -> tuple[Principal, User]:
        current = refresh_in(s, now, actor)
        user = UserRepo(s).get_by_id(current.user_id or 0)
        assert user is not None, "refresh_in checked the user exists"
        if password is None or not self.hasher.verify(password, user.password_hash):
            raise AuthenticationFailed("the current password is wrong")
        return current, user

    def _target(
        self, s: Session, now: datetime, actor: Principal, name: str
    ) -> tuple[Principal, User]:
        current = require_in(s, now, actor, MANAGE)
        user = UserRepo(s).lock_row(name)
        if user is None:
            raise NotFound(f"no user named {name!r}", hint="see: ssop user list")
        require_rank(current, Role(user.role), "change a user of")
        return current, user

    def _info(self, s: Session, user: User, now: datetime) -> UserInfo:
        """The user as listed, its lock as the lockout sees it."""
        locked = self.lockout.locked_until(s, user.name, now)
        return UserInfo(
            user.name, Role(user.role), user.disabled, locked, user.created_at
        )


def check_name(name: str) -> None:
    if not is_valid_name(name):
        raise InvalidInput(
            f"invalid user name {name!r}: use 1-64 of a-z 0-9 _ . - "
            "(starting with a letter or _)"
        )


def _keep_an_admin(s: Session, user: User, doing: str) -> None:
    if user.role != Role.ADMIN.value or user.disabled:
        return
    if UserRepo(s).active_names(Role.ADMIN) == [user.name]:
        raise Conflict(f"cannot {doing} {user.name}: it is the last active admin")


def _info(user: User, now: datetime) -> UserInfo:
    locked = (
        user.locked_until if user.locked_until and user.locked_until > now else None
    )
    return UserInfo(user.name, Role(user.role), user.disabled, locked, user.created_at)
