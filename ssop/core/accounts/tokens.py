"""API tokens for scripts: created once, shown once, stored as hashes.

A token carries a role no higher than its creator's and always expires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ssop.core import durations
from ssop.core.accounts.access import require_in, require_rank
from ssop.core.accounts.credentials import (
    API_TOKEN_PREFIX,
    is_valid_name,
    new_token,
    token_hash,
)
from ssop.core.accounts.permissions import Capability, Principal, Role, parse_role
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.errors import Conflict, InvalidInput, NotFound
from ssop.core.models import ApiToken
from ssop.core.store.db import SessionFactory
from ssop.core.store.token_repo import TokenRepo

MANAGE = Capability.USERS_MANAGE
MAX_LIFETIME = durations.YEAR


@dataclass(kw_only=True, frozen=True)
class TokenInfo:
    name: str
    role: Role
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    info: TokenInfo
    token: str = field(repr=False)


def parse_duration(text: str) -> timedelta:
    """A token lifetime: ``30d``, ``12h``, ``90m`` or ``2w``; 1 minute to 366 days.

    Raises:
        InvalidInput: anything else.
    """
    return durations.parse_duration(
        text, at_least=timedelta(minutes=1), at_most=MAX_LIFETIME
    )


class TokenService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("token.create", "{name}")
    def create(
        self, actor: Principal, name: str, role: str, expires: str = "30d"
    ) -> CreatedToken:
        """Create a token; the returned secret is never retrievable again.

        Raises:
            InvalidInput: bad name, role or duration.
            PermissionDenied: no users.manage, or a role above the actor's.
            Conflict: the name is taken.
        """
        token_role, lifetime = parse_role(role), parse_duration(expires)
        if not is_valid_name(name):
            raise InvalidInput(
                f"invalid token name {name!r}: use 1-64 of a-z 0-9 _ . -"
            )
        now = self.clock.now()
        secret = new_token(API_TOKEN_PREFIX)
        with self.sessions() as s, s.begin():
            current = require_in(s, now, actor, MANAGE)
            require_rank(current, token_role, "create a token with")
            repo = TokenRepo(s)
            if repo.by_name(name) is not None:
                raise Conflict(f"a token named {name} already exists")
            row = repo.add(
                name, token_hash(secret), token_role, current.actor, now, now + lifetime
            )
            detail = f"role={token_role} expires={row.expires_at:%Y-%m-%d %H:%M}"
            record_in(s, now, current.actor, "token.create", name, detail)
            return CreatedToken(_info(row), secret)

    @refusals_audited("token.list")
    def list(self, actor: Principal) -> list[TokenInfo]:
        """Raises PermissionDenied without users.manage."""
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), actor, MANAGE)
            return [_info(row) for row in TokenRepo(s).all()]

    @refusals_audited("token.revoke", "{name}")
    def revoke(self, actor: Principal, name: str) -> TokenInfo:
        """Raises NotFound, PermissionDenied, or Conflict when already revoked."""
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            current = require_in(s, now, actor, MANAGE)
            repo = TokenRepo(s)
            row = repo.by_name(name)
            if row is None:
                raise NotFound(f"no token named {name!r}", hint="see: ssop token list")
            if row.revoked_at is not None:
                raise Conflict(f"token {name} is already revoked")
            row.revoked_at = now
            repo.save(row)
            record_in(s, now, current.actor, "token.revoke", name)
            return _info(row)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        name=row.name,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )
