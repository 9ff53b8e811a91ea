"""Account lockout after repeated failed logins, counted from the audit trail.

``ssop user unlock`` writes an unlock event: a lock before it no longer
holds, and failures before it no longer count. Nothing is deleted.

Unknown names are counted and locked exactly like real ones, so "locked"
never tells a caller that an account exists. An unknown name is keyed by a
short hash rather than the text typed, because people do type passwords
into the username prompt and the audit trail must not keep them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from ssop.core.audit import AuditOutcome, record_in
from ssop.core.models import User
from ssop.core.store.user_repo import UserRepo

if TYPE_CHECKING:
    from ssop.core.store.audit_repo import AuditRepo


def _audit(s: Session) -> AuditRepo:
    # the audit table is read at login only, not by every command that checks a token
    from ssop.core.store.audit_repo import AuditRepo

    return AuditRepo(s)


FAILED = "login.failed"
LOCKED = "login.locked"
LOGIN = "login"
UNLOCKED = "login.unlocked"
INVALID = "wrong user name or password"
DENIED = AuditOutcome.DENIED


def throttle_key(name: str, user: User | None) -> str:
    if user is not None:
        return user.name
    # 24 bits: enough to keep buckets apart, too few to confirm a guessed password.
    return "unknown:" + hashlib.sha256(name.encode()).hexdigest()[:6]


class Lockout:
    def __init__(self, failures: int, minutes: int) -> None:
        self.failures = failures
        self.window = timedelta(minutes=minutes)

    def locked_until(self, s: Session, key: str, now: datetime) -> datetime | None:
        repo = _audit(s)
        if repo.last_id(UNLOCKED, key) > repo.last_id(LOCKED, key, ok=False):
            return None
        last = repo.last_at(LOCKED, key, ok=False)
        if last is None or last + self.window <= now:
            return None
        return last + self.window

    def unlock(self, s: Session, actor: str, user: User, now: datetime) -> bool:
        """Lift a lock and forget the failures before it; False when none held."""
        locked = self.locked_until(s, user.name, now) is not None
        record_in(s, now, actor, UNLOCKED, user.name, "locked" if locked else "")
        user.locked_until = None
        UserRepo(s).save(user, now)
        return locked

    def record_failure(
        self, s: Session, key: str, now: datetime, user: User | None
    ) -> datetime | None:
        """Count a failed login; returns when the lock ends if this one locks."""
        record_in(s, now, key, FAILED, key, INVALID, outcome=DENIED)
        repo = _audit(s)
        # Ids, not times, order the events: several can share one timestamp.
        after = max(
            repo.last_id(LOCKED, key, ok=False),
            repo.last_id(LOGIN, key),
            repo.last_id(UNLOCKED, key),
        )
        if repo.count_after(FAILED, key, after, now - self.window) < self.failures:
            return None
        detail = f"{self.failures} failed logins"
        record_in(s, now, key, LOCKED, key, detail, outcome=DENIED)
        until = now + self.window
        if user is not None:
            user.locked_until = until
            UserRepo(s).save(user, now)
        return until
