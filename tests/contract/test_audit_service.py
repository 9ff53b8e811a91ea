"""The audit trail on both dialects: recording, reading, filtering, redaction."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.audit import AuditOutcome
from ssop.core.errors import InvalidInput, PermissionDenied
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, admin, login


def test_list_is_newest_first_and_filters(services: Services, clock: FakeClock) -> None:
    root = admin(services)
    clock.advance(1)
    services.users.add(root, "alice", "viewer", "password-1234")
    clock.advance(1)
    services.audit.record("ops", "custom.event", "thing", "detail")
    events = [(e.actor, e.event, e.target) for e in services.audit_log.list(root)]
    assert events == [
        ("ops", "custom.event", "thing"),
        ("root", "user.add", "alice"),
        ("root", "login", "root"),
    ]
    assert [e.event for e in services.audit_log.list(root, actor="root")] == [
        "user.add",
        "login",
    ]
    assert [e.target for e in services.audit_log.list(root, event="user.add")] == [
        "alice"
    ]
    assert len(services.audit_log.list(root, limit=1)) == 1


def test_reading_needs_audit_read(services: Services) -> None:
    admin(services)
    add_user(services, "olga", Role.OPERATOR, "pw")
    with pytest.raises(PermissionDenied, match="lacks audit.read"):
        services.audit_log.list(login(services, "olga", "pw"))


@pytest.mark.parametrize("limit", [0, -1, 10_001])
def test_limit_is_bounded(services: Services, limit: int) -> None:
    with pytest.raises(InvalidInput):
        services.audit_log.list(admin(services), limit=limit)


def test_details_are_redacted_before_they_are_stored(services: Services) -> None:
    root = admin(services)
    token = "ssopt_" + "A" * 43
    services.audit.record("x", "oops", "", f"password=hunter2 and {token}")
    detail = services.audit_log.list(root, event="oops")[0].detail
    assert "hunter2" not in detail and token not in detail


def test_failed_lists_only_refusals_and_failures(
    services: Services, clock: FakeClock
) -> None:
    root = admin(services)
    clock.advance(1)
    services.audit.record("ops", "thing.done", "a")
    services.audit.record("ops", "thing.broke", "b", "disk full", ok=False)
    services.audit.record(
        "vic", "approval.approve", "request#1", "no", outcome=AuditOutcome.DENIED
    )
    failed = services.audit_log.list(root, failed=True)
    assert [
        (e.actor, e.event, e.target, e.detail, e.ok, e.outcome) for e in failed
    ] == [
        ("vic", "approval.approve", "request#1", "no", False, "denied"),
        ("ops", "thing.broke", "b", "disk full", False, "failed"),
    ]
    done = services.audit_log.list(root, event="thing.done")
    assert [e.outcome for e in done] == ["ok"]


def test_a_failed_login_is_a_refusal_with_its_reason(services: Services) -> None:
    root = admin(services)
    with pytest.raises(PermissionDenied):
        services.auth.login("root", "not-the-password")
    (entry,) = services.audit_log.list(root, failed=True)
    assert (entry.actor, entry.event, entry.target) == ("root", "login.failed", "root")
    assert entry.outcome == "denied" and "wrong" in entry.detail
