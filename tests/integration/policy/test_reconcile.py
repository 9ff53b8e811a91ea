"""A runner that dies between claim and result leaves ``unknown``, never a re-run."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.policy.states import Gate, RequestStatus
from ssop.core.services import build_services
from tests.fakes.clock import FakeClock
from tests.integration.policy.conftest import Rig
from tests.support.policy import executions, fleet, proposal
from tests.support.processes import Process, wait_until
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd

# restart_service's timeout plus the default claim lease, and a little more
PAST_THE_LEASE = 120 + 300 + 1


@pytest.fixture
def clock() -> FakeClock:
    """Real time at the start: the killed child process stamps its claim with it."""
    return FakeClock(datetime.now(UTC))


def approved(rig: Rig, sshd: Sshd, action: str = "restart_service") -> int:
    fleet(rig.services, ["web1"], {action: False}, sshd)
    params = {"service": "nginx"} if action == "restart_service" else {}
    request_id = (
        rig.process(proposal(action=action, params=params, recommendation_id=1))
        .decided[0]
        .request_id
    )
    assert request_id is not None
    rig.services.approvals.approve(rig.user("olga"), request_id)
    return request_id


def test_a_claim_abandoned_before_running_ends_unknown(rig: Rig, sshd: Sshd) -> None:
    request_id = approved(rig, sshd)
    dead = build_services(rig.services.config, clock=rig.clock)
    assert dead.request_runner.claim(request_id)  # ... and that process dies here
    dead.close()

    early = rig.services.reconciler.reconcile()
    rig.clock.advance(PAST_THE_LEASE)
    late = rig.services.reconciler.reconcile()

    assert early.requests == [] and late.requests == [request_id]
    view = rig.services.approvals.show(rig.user("olga"), request_id)
    assert (
        view.status == "unknown" and "stopped without finishing" in view.closed_reason
    )
    assert rig.services.approvals.execute_approved().ids == []
    assert rig.services.approvals.claim_and_run(request_id) is None
    assert rig.systemctl() == [] and executions(rig.services) == []


def test_an_unknown_reboot_is_never_retried_automatically(rig: Rig, sshd: Sshd) -> None:
    fleet(rig.services, ["web1"], {"reboot_system": True}, sshd)
    olga, bob = rig.user("olga"), rig.user("bob")
    request = rig.services.approvals.request(
        olga, "web1", "reboot_system", {}, "hung kernel"
    )
    rig.services.approvals.approve(bob, request.id)
    dead = build_services(rig.services.config, clock=rig.clock)
    assert dead.request_runner.claim(request.id)  # ... and that process dies here
    dead.close()
    rig.clock.advance(PAST_THE_LEASE)

    rig.services.reconciler.reconcile()
    later = rig.process(
        proposal(action="reboot_system", params={}, recommendation_id=2)
    )

    assert later.decided[0].gate is Gate.DEMOTED
    status = rig.services.policy_admin.status(rig.user("vic", Role.VIEWER))
    assert status.demoted[0][:2] == ("web1", "reboot_system")
    assert rig.shims.calls() == [] and executions(rig.services) == []


def hanging_systemctl(shims: ShimDir) -> None:
    """A systemctl that records its call, then hangs: the runner is killed mid-run."""
    script = (
        "#!/usr/bin/env -S python3 -S\n"
        "import json, sys, time\n"
        f"with open({str(shims.log)!r}, 'a') as log:\n"
        "    log.write(json.dumps({'argv': ['systemctl', *sys.argv[1:]]}) + '\\n')\n"
        "time.sleep(20)\n"
    )
    path = shims.path / "systemctl"
    path.write_text(script)
    path.chmod(0o755)


def test_a_runner_killed_mid_execution_leaves_it_unknown(
    rig: Rig,
    sshd: Sshd,
    tmp_path: Path,
    store_url: str,
    isolated_env: dict[str, str],
    processes: list[Process],
) -> None:
    request_id = approved(rig, sshd)
    hanging_systemctl(rig.shims)
    endpoint = sshd.endpoint()
    assert endpoint.pinned_host_key is not None
    spec = tmp_path / "endpoint.json"
    spec.write_text(
        json.dumps(
            {
                "name": "web1",
                "host": endpoint.host,
                "port": endpoint.port,
                "username": endpoint.username,
                "private_key": endpoint.private_key,
                "host_key": {
                    "type": endpoint.pinned_host_key.key_type,
                    "base64": endpoint.pinned_host_key.base64,
                    "fingerprint": endpoint.pinned_host_key.fingerprint,
                },
            }
        )
    )
    child = Process(
        ["-m", "tests.integration.policy.claim_entry", str(spec), str(request_id)],
        {**isolated_env, "SSOP_DATABASE_URL": store_url},
        tmp_path / "child.log",
    )
    processes.append(child)

    child.wait_log("claimed")
    wait_until(lambda: len(rig.systemctl()) == 1, 20, "the command to start")
    child.signal(signal.SIGKILL)
    child.finish(10)
    in_flight = rig.services.approvals.show(rig.user("olga"), request_id)
    # the child stamped its claim with real time, a few seconds after the clock's start
    rig.clock.advance(PAST_THE_LEASE + 60)
    report = rig.services.reconciler.reconcile()

    assert in_flight.status == "running"
    assert report.requests == [request_id]
    (row,) = executions(rig.services)
    assert (row.status, row.request_id) == ("unknown", request_id)
    assert rig.services.approvals.execute_approved().ids == []
    assert (
        rig.services.approvals.show(rig.user("olga"), request_id).status
        == RequestStatus.UNKNOWN
    )
    assert len(rig.systemctl()) == 1
