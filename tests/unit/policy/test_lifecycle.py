"""Requests and executions store the same words for the states they share."""

from __future__ import annotations

from ssop.core.lifecycle import Trigger
from ssop.core.models.execution import ExecutionStatus
from ssop.core.policy.states import RequestStatus

SHARED = {
    "pending_approval",
    "approved",
    "claimed",
    "running",
    "succeeded",
    "failed",
    "timed_out",
    "rejected",
    "expired",
    "unknown",
    "cancelled",
}


def test_the_stored_status_words_are_unchanged() -> None:
    assert {s.value for s in ExecutionStatus} == SHARED | {"proposed"}
    assert {s.value for s in RequestStatus} == SHARED


def test_a_shared_state_is_the_same_word_in_both_enums() -> None:
    for word in SHARED:
        assert ExecutionStatus(word).name == RequestStatus(word).name


def test_one_trigger_holds_what_requests_and_executions_store() -> None:
    assert [t.value for t in Trigger] == ["auto", "policy", "manual", "approval"]
