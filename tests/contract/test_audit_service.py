"""The audit trail on both dialects: recording, reading, filtering, redaction."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.errors import InvalidInput, PermissionDenied
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, admin, login


def test_list_is_newest_first_and_filters(services: Services, clock: FakeClock) -> None:
    root = admin(services)
    clock.advance(1)
    services.users.add(root, "alice", "viewer", "pw")
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
