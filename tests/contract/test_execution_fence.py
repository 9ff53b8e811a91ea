"""The execution fence, on both dialects: a runner that lost its claim while
paused between marking a request running and starting its command (the
reconciler took it for dead and closed the request ``unknown``) sends
nothing and writes no execution. Found by tests/integration/
test_execution_schedules.py, seeds 4115, 4119, 4175 and 4196."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ssop.core.actions.render import validate_params
from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import Conflict
from ssop.core.lifecycle import Trigger
from ssop.core.policy.states import RequestStatus
from ssop.core.services import Services, build_services
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.server_repo import ServerRepo
from tests.fakes.clock import FakeClock
from tests.support.approved import NOOP
from tests.support.execution_rig import add_servers, noop_action, pending_requests
from tests.support.execution_seams import HostLog
from tests.support.policy import executions

RUNNER = "host:1:paused"


@pytest.fixture
def hosts() -> HostLog:
    return HostLog()


@pytest.fixture
def svc(
    loaded_config: LoadedConfig, clock: FakeClock, hosts: HostLog
) -> Iterator[Services]:
    services = build_services(
        loaded_config, clock=clock, transport_factory=hosts.transport
    )
    services.store.seed()
    noop_action(services)
    add_servers(services, ["web1"], automatic=False)
    yield services
    services.close()


def running_request(svc: Services) -> int:
    """A request RUNNER claimed and marked running, as ``RequestRunner`` does."""
    [rid] = pending_requests(svc, ["web1"])
    now = svc.clock.now()
    with svc.sessions() as s, s.begin():
        repo = ApprovalRepo(s)
        assert repo.move(rid, [RequestStatus.PENDING_APPROVAL], "approved")
        assert repo.move(
            rid, ["approved"], "claimed", claimed_by=RUNNER, claimed_at=now
        )
        assert repo.move(rid, ["claimed"], "running", holder=RUNNER)
    return rid


def run_noop(svc: Services, rid: int) -> str:
    with svc.sessions() as s:
        server = ServerRepo(s).get("web1")
    params = validate_params(NOOP, {}, svc.guard_rails.for_server(server))
    record = svc.runner.execute(
        server, NOOP, params, actor="olga", trigger=Trigger.APPROVAL, request_id=rid
    )
    return record.status


def test_a_request_still_running_is_executed_and_recorded(
    svc: Services, hosts: HostLog
) -> None:
    rid = running_request(svc)

    assert run_noop(svc, rid) == "succeeded"

    assert [(e.request_id, e.status) for e in executions(svc)] == [(rid, "succeeded")]
    assert hosts.sent == {"web1": 1}


def test_a_request_reconciled_meanwhile_is_not_executed(
    svc: Services, hosts: HostLog, clock: FakeClock
) -> None:
    rid = running_request(svc)
    clock.advance(NOOP.timeout_s + svc.config.settings.policy.claim_lease_s + 1)
    assert svc.reconciler.reconcile().requests == [rid]

    with pytest.raises(Conflict, match=f"request #{rid} is no longer running"):
        run_noop(svc, rid)

    assert executions(svc) == []
    assert hosts.sent == {}
    with svc.sessions() as s:
        assert ApprovalRepo(s).get(rid).status == "unknown"
