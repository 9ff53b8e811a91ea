"""Rejection, expiry and reconcile survive a lost lock race: the store's
deadlock (or lock wait) costs a retry, not the decision. Each state change
then happens once: one status, one audit record.

The conflict is injected as MariaDB reports it (1213) on the first UPDATE of
the table the change writes, on both stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from ssop.core.accounts.permissions import Role
from ssop.core.config.loader import LoadedConfig
from ssop.core.models import ApprovalRequest, AuditEvent, Execution
from ssop.core.policy.states import RequestStatus
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.support.approved import NOOP
from tests.support.auth import add_user, login
from tests.support.execution_rig import add_servers, noop_action, pending_requests

DEADLOCK = (1213, "Deadlock found when trying to get lock; try restarting transaction")


@pytest.fixture
def services(loaded_config: LoadedConfig, clock: FakeClock) -> Iterator[Services]:
    built = build_services(loaded_config, clock=clock)
    built.store.seed()
    noop_action(built)
    add_servers(built, ["web1"], automatic=False)
    add_user(built, "olga", Role.OPERATOR, "olga-pw")
    yield built
    built.close()


class DeadlockOnce:
    """Fails the first UPDATE of ``table`` as a MariaDB deadlock would."""

    def __init__(self, services: Services, table: str) -> None:
        self.prefix = f"UPDATE {table} "
        self.fired = 0
        event.listen(services.engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.fired == 0 and statement.startswith(self.prefix):
            self.fired += 1
            raise OperationalError(statement, {}, Exception(*DEADLOCK))


def request_row(services: Services, request_id: int) -> ApprovalRequest:
    with services.sessions() as s:
        row = s.get(ApprovalRequest, request_id)
        assert row is not None
        return row


def audit_events(services: Services, name: str) -> list[AuditEvent]:
    with services.sessions() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.event == name)).all())


def test_a_rejection_that_lost_a_lock_race_is_retried_once(
    services: Services,
) -> None:
    [request_id] = pending_requests(services, ["web1"])
    conflict = DeadlockOnce(services, "approval_requests")
    view = services.approvals.reject(
        login(services, "olga", "olga-pw"), request_id, "not now"
    )
    assert conflict.fired == 1
    assert view.status == RequestStatus.REJECTED
    assert request_row(services, request_id).status == RequestStatus.REJECTED
    [audited] = audit_events(services, "approval.reject")
    assert (audited.actor, audited.ok, audited.detail) == ("olga", True, "not now")


def test_an_expiry_that_lost_a_lock_race_is_retried(
    services: Services, clock: FakeClock
) -> None:
    [request_id] = pending_requests(services, ["web1"])
    ttl_h = services.config.settings.policy.approval_ttl_hours
    clock.advance(timedelta(hours=ttl_h, seconds=1).total_seconds())
    conflict = DeadlockOnce(services, "approval_requests")
    report = services.approvals.expire_due()
    assert conflict.fired == 1
    assert report.ids == [request_id]
    assert request_row(services, request_id).status == RequestStatus.EXPIRED


def running_execution(services: Services, request_id: int | None) -> None:
    with services.sessions() as s, s.begin():
        s.add(
            Execution(
                server_name="web1",
                action_name=NOOP.name,
                action_type=NOOP.type.value,
                actor="dead-daemon",
                trigger="approval" if request_id else "manual",
                command="true",
                status="running",
                started_at=services.clock.now(),
                request_id=request_id,
            )
        )


def execution_status(services: Services) -> str:
    with services.sessions() as s:
        [execution] = s.exec(select(Execution)).all()
    return str(execution.status)


def past_the_lease(services: Services, clock: FakeClock) -> None:
    lease = services.config.settings.policy.claim_lease_s
    clock.advance(NOOP.timeout_s + lease + 1)


def test_reconcile_of_a_request_that_lost_a_lock_race_is_retried(
    services: Services, clock: FakeClock
) -> None:
    [request_id] = pending_requests(services, ["web1"])
    with services.sessions() as s, s.begin():
        row = s.get(ApprovalRequest, request_id)
        assert row is not None
        row.status = RequestStatus.RUNNING
        row.claimed_by, row.claimed_at = "dead-daemon", clock.now()
        s.add(row)
    running_execution(services, request_id)
    past_the_lease(services, clock)
    conflict = DeadlockOnce(services, "approval_requests")
    report = services.reconciler.reconcile()
    assert conflict.fired == 1
    assert report.requests == [request_id]
    assert request_row(services, request_id).status == RequestStatus.UNKNOWN
    assert execution_status(services) == "unknown"


def test_reconcile_of_an_execution_that_lost_a_lock_race_is_retried(
    services: Services, clock: FakeClock
) -> None:
    running_execution(services, None)
    past_the_lease(services, clock)
    conflict = DeadlockOnce(services, "executions")
    report = services.reconciler.reconcile()
    assert conflict.fired == 1
    assert len(report.executions) == 1
    assert execution_status(services) == "unknown"
