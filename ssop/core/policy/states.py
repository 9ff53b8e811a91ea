"""The names policy writes down: outcomes, gates, and request states.

Who set a request going is a ``Trigger`` (``ssop.core.lifecycle``),
shared with executions.
"""

from __future__ import annotations

from enum import StrEnum

from ssop.core import lifecycle


class Outcome(StrEnum):
    """What became of one recommendation."""

    EXECUTED = "executed"
    QUEUED = "queued"  # waits for a human's approval
    BLOCKED = "blocked"  # not now; proposed again later it is decided again
    SHADOW = "shadow"  # would have executed; shadow mode ran nothing
    DROPPED = "dropped"  # not actionable at all


class Gate(StrEnum):
    """The check that decided an outcome (``passed`` when none stopped it)."""

    PASSED = "passed"
    # dropped
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    UNKNOWN_SERVER = "unknown_server"
    UNKNOWN_ACTION = "unknown_action"
    NOT_ASSIGNED = "not_assigned"
    READ_ONLY = "read_only"
    INVALID_PARAMS = "invalid_params"
    # blocked
    MAINTENANCE = "maintenance"
    COOLDOWN = "cooldown"
    PAUSED = "paused"
    BUDGET = "budget"
    CONCURRENCY = "concurrency"
    BLAST_RADIUS = "blast_radius"
    # queued for approval
    UNCORROBORATED = "uncorroborated"  # model-only advice
    NOT_AUTOMATIC = "not_automatic"
    DEMOTED = "demoted"
    RISK = "risk"
    CONFIDENCE = "confidence"
    # recorded only
    SHADOW_MODE = "shadow_mode"


class RequestStatus(StrEnum):
    """A remediation request's life: proposed -> pending_approval -> approved
    -> claimed -> running -> succeeded | failed | timed_out, or rejected |
    expired | unknown, or cancelled (closed unrun: preconditions, removals)."""

    PENDING_APPROVAL = lifecycle.PENDING_APPROVAL
    APPROVED = lifecycle.APPROVED
    CLAIMED = lifecycle.CLAIMED
    RUNNING = lifecycle.RUNNING
    SUCCEEDED = lifecycle.SUCCEEDED
    FAILED = lifecycle.FAILED
    TIMED_OUT = lifecycle.TIMED_OUT
    REJECTED = lifecycle.REJECTED
    EXPIRED = lifecycle.EXPIRED
    UNKNOWN = lifecycle.UNKNOWN
    CANCELLED = lifecycle.CANCELLED


IN_FLIGHT = (RequestStatus.CLAIMED, RequestStatus.RUNNING)
FINISHED = (RequestStatus.SUCCEEDED, RequestStatus.FAILED, RequestStatus.TIMED_OUT)
