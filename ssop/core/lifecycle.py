"""The stored words for a remediation's life, shared by requests and executions.

``approval_requests.status`` and ``executions.status`` use the same word for
each state both pass through; both tables' ``trigger`` columns hold a
``Trigger``. These strings are stored: changing one needs a migration.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# The states a request and an execution have in common.
PENDING_APPROVAL: Final = "pending_approval"
APPROVED: Final = "approved"
CLAIMED: Final = "claimed"
RUNNING: Final = "running"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
# stopped at its deadline, and the host confirmed the command ended
TIMED_OUT: Final = "timed_out"
REJECTED: Final = "rejected"
EXPIRED: Final = "expired"
# ssop lost track mid-run (crash, lost row update, a deadline or Ctrl-C whose
# end on the host was not confirmed): it may still run, or have run.
UNKNOWN: Final = "unknown"
# a request closed unrun; an execution a person stopped with Ctrl-C, its end
# on the host confirmed
CANCELLED: Final = "cancelled"
# held by a runner: claimed, or its command started
IN_FLIGHT: Final = (CLAIMED, RUNNING)


class Trigger(StrEnum):
    """Who or what set a remediation going.

    A request stores auto, policy or manual; an execution stores manual,
    policy or approval. ``policy`` thus means "policy asked a human" on a
    request but "policy ran it by itself" on an execution.
    """

    AUTO = "auto"  # request: policy ran it by itself
    POLICY = "policy"  # request: policy asked a human; execution: policy ran it
    MANUAL = "manual"  # a user asked for it (request) or ran it (execution)
    APPROVAL = "approval"  # execution: an approved request ran
