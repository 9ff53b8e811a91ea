"""What ssop notifies about, and the port a sender implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class EventKind(StrEnum):
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    APPROVAL_EXPIRED = "approval_expired"
    EXECUTION_DONE = "execution_done"
    EXECUTION_FAILED = "execution_failed"
    VERIFICATION_FAILED = "verification_failed"
    DAEMON_ERROR = "daemon_error"


@dataclass(frozen=True)
class Notification:
    """One notification. Fields are plain text; builders redact them again."""

    kind: EventKind
    at: datetime
    title: str
    server: str = ""
    action: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    request_id: int | None = None
    execution_id: int | None = None
    status: str = ""
    risk: str = ""
    actor: str = ""
    detail: str = ""


def daemon_error(
    at: datetime, step: str, message: str, daemon_id: str = ""
) -> Notification:
    """The event a daemon sends when one of its steps fails."""
    return Notification(
        EventKind.DAEMON_ERROR,
        at,
        f"daemon step {step} failed",
        actor=daemon_id,
        status="error",
        detail=message,
    )


class Notifier(Protocol):
    def notify(self, event: Notification) -> None:
        """Hand ``event`` over for delivery; never blocks and never raises."""
        ...


class NullNotifier:
    """Used when no webhook is configured."""

    def notify(self, event: Notification) -> None:
        return None
