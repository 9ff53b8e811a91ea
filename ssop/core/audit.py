"""The audit trail: record who did what (``accounts.audit_log`` reads it back).

Successes are recorded by each service inside its own transaction. Refusals
(a permission, policy, a request's state, a host key or an SSH login said
no) go through ``refusals_audited``: the service method that refused records
who, what and why in a transaction of its own, so the row survives the
rollback of the refused work.

Rows never hold passwords or tokens: callers pass names and keys only, and
every detail is run through the log redactor as a second line of defence.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from enum import StrEnum
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from ssop.core.clock import Clock
from ssop.core.errors import (
    AuthFailed,
    Conflict,
    HostKeyMismatch,
    HostKeyUnknown,
    PermissionDenied,
    PolicyRefused,
    SsopError,
)
from ssop.core.logsetup import redact
from ssop.core.store.db import SessionFactory

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"
# The errors that mean "no" rather than "broken"; each is audited once.
REFUSALS: tuple[type[SsopError], ...] = (
    PermissionDenied,
    PolicyRefused,
    Conflict,
    HostKeyMismatch,
    HostKeyUnknown,
    AuthFailed,
)
P = ParamSpec("P")
R = TypeVar("R")
# How many audited service methods the current call is inside of.
_depth: ContextVar[int] = ContextVar("ssop_audited_depth", default=0)


class AuditOutcome(StrEnum):
    """How the recorded attempt ended; every outcome but ``ok`` is a failure."""

    OK = "ok"
    DENIED = "denied"  # the caller may not: a permission or a login refused
    REFUSED = "refused"  # policy, a guard rail or a host key said no
    CONFLICT = "conflict"  # the object's state forbids it (decided, expired, ...)
    FAILED = "failed"  # it was allowed but did not work


def record_in(
    s: Session,
    now: datetime,
    actor: str,
    event: str,
    target: str = "",
    detail: str = "",
    ok: bool = True,
    outcome: AuditOutcome | None = None,
) -> None:
    """Add one audit row inside the caller's transaction.

    ``outcome`` says how it ended; without one, ``ok`` false means failed.
    """
    # the audit table loads with the first row written, not with every service
    from ssop.core.models import AuditEvent
    from ssop.core.store.audit_repo import AuditRepo

    result = outcome or (AuditOutcome.OK if ok else AuditOutcome.FAILED)
    AuditRepo(s).add(
        AuditEvent(
            at=now,
            actor=actor[:80],
            event=event,
            target=target[:255],
            detail=redact(detail),
            ok=result is AuditOutcome.OK,
            outcome=result.value,
        )
    )


def outcome_of(error: SsopError) -> AuditOutcome:
    """The audit outcome a refusal stands for."""
    if isinstance(error, PermissionDenied | AuthFailed):
        return AuditOutcome.DENIED
    if isinstance(error, Conflict):
        return AuditOutcome.CONFLICT
    if isinstance(error, PolicyRefused | HostKeyMismatch | HostKeyUnknown):
        return AuditOutcome.REFUSED
    return AuditOutcome.FAILED


def record_refusal(
    sessions: SessionFactory,
    clock: Clock,
    actor: str,
    event: str,
    target: str,
    error: SsopError,
    outcome: AuditOutcome | None = None,
) -> None:
    """Record ``error`` (once) in a transaction of its own.

    A store that cannot take the row is logged, never raised: the refusal
    itself is what the caller must see.
    """
    if error.audited:
        return
    result = outcome or outcome_of(error)
    try:
        with sessions() as s, s.begin():
            record_in(
                s, clock.now(), actor, event, target, error.message, False, result
            )
    except (SsopError, SQLAlchemyError) as e:
        log.warning("audit: refusal of %s by %s not recorded: %s", event, actor, e)
        return
    error.audited = True


class AuditedStore(Protocol):
    """What ``refusals_audited`` needs of a service: its sessions and clock."""

    @property
    def sessions(self) -> SessionFactory: ...

    @property
    def clock(self) -> Clock: ...


S = TypeVar("S", bound=AuditedStore)
Method = Callable[Concatenate[S, P], R]


def refusals_audited(
    event: str, target: str = ""
) -> Callable[[Method[S, P, R]], Method[S, P, R]]:
    """Record the refusals a service method raises, then let them through.

    The actor is the method's ``Principal`` argument (``anonymous`` without
    one); ``target`` is formatted with the method's arguments by name, e.g.
    ``"request#{request_id}"``. When audited methods call each other, the
    outermost one records: it names what the caller asked for.
    """

    def decorate(method: Method[S, P, R]) -> Method[S, P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def audited(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            outermost = _depth.get() == 0
            depth = _depth.set(_depth.get() + 1)
            try:
                return method(self, *args, **kwargs)
            except REFUSALS as e:
                if outermost:
                    bound = signature.bind(self, *args, **kwargs)
                    bound.apply_defaults()
                    where = target.format_map(_named(bound.arguments))
                    actor = _actor(bound.arguments)
                    record_refusal(self.sessions, self.clock, actor, event, where, e)
                raise
            finally:
                _depth.reset(depth)

        return audited

    return decorate


def _named(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {k: "" if v is None else v for k, v in arguments.items()}


@runtime_checkable
class Caller(Protocol):
    """Who asked (an accounts ``Principal``), as the audit trail names it."""

    @property
    def actor(self) -> str: ...


def _actor(arguments: Mapping[str, Any]) -> str:
    for value in arguments.values():
        if isinstance(value, Caller):
            return value.actor
    return ANONYMOUS


class AuditService:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def record(
        self,
        actor: str,
        event: str,
        target: str = "",
        detail: str = "",
        ok: bool = True,
        outcome: AuditOutcome | None = None,
    ) -> None:
        """Add one audit row in a transaction of its own."""
        with self.sessions() as s, s.begin():
            now = self.clock.now()
            record_in(s, now, actor, event, target, detail, ok, outcome)
