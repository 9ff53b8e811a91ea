"""How a request looks to people, and why it can no longer be decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ssop.core.errors import InvalidInput
from ssop.core.models import ApprovalRequest
from ssop.core.policy.states import RequestStatus

PENDING, APPROVED = RequestStatus.PENDING_APPROVAL, RequestStatus.APPROVED


@dataclass(kw_only=True, frozen=True)
class RequestView:
    """A request as people see it: the pinned evidence and where it stands."""

    id: int
    status: str
    trigger: str
    server: str
    action: str
    params: Mapping[str, str]
    command: str
    effective_risk: str
    confidence: float | None
    gate: str
    reasoning: str
    evidence: Mapping[str, Any]
    analysis_id: int | None
    recommendation_id: int | None
    requested_by: str
    created_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str
    closed_reason: str
    execution_id: int | None
    # policy.four_eyes: whoever requested it may not approve it
    four_eyes: bool = False


def view_of(row: ApprovalRequest) -> RequestView:
    assert row.id is not None
    return RequestView(
        id=row.id,
        status=row.status,
        trigger=row.trigger,
        server=row.server_name,
        action=row.action_name,
        params=dict(row.params),
        command=row.command,
        effective_risk=row.effective_risk,
        confidence=row.confidence,
        gate=row.gate,
        reasoning=row.reasoning,
        evidence=dict(row.evidence),
        analysis_id=row.analysis_id,
        recommendation_id=row.recommendation_id,
        requested_by=row.requested_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        comment=row.comment,
        closed_reason=row.closed_reason,
        execution_id=row.execution_id,
    )


def parse_status(value: str) -> RequestStatus:
    try:
        return RequestStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in RequestStatus)
        raise InvalidInput(f"unknown status {value!r} (choose from {names})") from None


def why_not_pending(row: ApprovalRequest, now: datetime) -> str:
    rid, status = row.id, row.status
    if status == RequestStatus.EXPIRED or (status == PENDING and row.expires_at <= now):
        return (
            f"request #{rid} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC "
            "(expired means rejected)"
        )
    if status == RequestStatus.REJECTED:
        return f"request #{rid} was rejected by {row.decided_by}: {row.comment}"
    if status == RequestStatus.CANCELLED:
        return f"request #{rid} was closed: {row.closed_reason}"
    if status in (APPROVED, RequestStatus.CLAIMED, RequestStatus.RUNNING):
        return f"request #{rid} was already approved by {row.decided_by} ({status})"
    return f"request #{rid} was already executed ({status})"
