"""Run a transaction again when it lost a lock race instead of failing the caller.

Daemons sharing one database meet in the same rows and index ranges:
MariaDB then picks a deadlock victim (error 1213) or gives up waiting for a
lock (1205), and SQLite says "database is locked". Either way the whole
transaction was rolled back, so running it again from the start is safe.
``retrying_transaction`` does that with a short, jittered backoff on the
injected clock; any other error, or the last conflict, goes to the caller.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ssop.core.clock import Clock

log = logging.getLogger(__name__)

T = TypeVar("T")

# ER_LOCK_DEADLOCK and ER_LOCK_WAIT_TIMEOUT (MySQL and MariaDB alike).
CONFLICT_CODES = frozenset({1213, 1205})
SQLITE_LOCKED = "database is locked"
ATTEMPTS = 6
CONTEXT_DEPTH = 4  # how far down an exception's context a conflict is looked for
FIRST_DELAY_S, MAX_DELAY_S = 0.05, 1.0

_jitter = random.Random()


def is_conflict(error: BaseException) -> bool:
    """A deadlock or lock-wait timeout (MySQL/MariaDB), or SQLite's busy lock.

    A deadlock inside a savepoint (``begin_nested``) rolls the whole
    transaction back on MariaDB, so the ROLLBACK TO SAVEPOINT that follows
    fails too ("SAVEPOINT does not exist", 1305) and that is what reaches
    us: the conflict is then found in the exception's context.
    """
    seen: BaseException | None = error
    for _ in range(CONTEXT_DEPTH):
        if seen is None:
            return False
        if _conflict_itself(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _conflict_itself(error: BaseException) -> bool:
    if not isinstance(error, DBAPIError) or error.orig is None:
        return False
    args = error.orig.args
    if args and args[0] in CONFLICT_CODES:
        return True
    return SQLITE_LOCKED in str(error.orig)


def backoff_s(attempt: int) -> float:
    """The wait before retry ``attempt`` + 1: doubling, jittered so that two
    daemons that collided do not collide again at the same instant."""
    base = min(MAX_DELAY_S, FIRST_DELAY_S * float(2**attempt))
    return base * _jitter.uniform(0.5, 1.5)


def retrying_transaction(
    sessions: Callable[[], Session],
    fn: Callable[[Session], T],
    *,
    clock: Clock,
    what: str = "transaction",
    attempts: int = ATTEMPTS,
) -> T:
    """``fn(session)`` inside one transaction, retried from the start on a conflict.

    ``fn`` must do nothing outside the session that a retry would repeat
    (no messages sent, no files written).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: any error that is not a conflict, or
            the conflict of the last attempt; callers translate it as usual
            (``translate_errors``).
    """
    for attempt in range(max(1, attempts)):
        try:
            with sessions() as s, s.begin():
                return fn(s)
        except DBAPIError as e:
            if not is_conflict(e) or attempt + 1 >= attempts:
                raise
            delay = backoff_s(attempt)
            log.info(
                "store: %s lost a lock race (%s), retry %d in %.2fs",
                what,
                _brief(e),
                attempt + 1,
                delay,
            )
            clock.sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _brief(error: DBAPIError) -> str:
    args = error.orig.args if error.orig is not None else ()
    text = str(args[1]) if len(args) >= 2 else str(error.orig)
    return text.splitlines()[0][:160]
