"""Exactly once: two approvers and two daemons race for the same request.

Each round, two threads approve the same request at once (two CLIs), then
two threads claim it at once, each through its own services (two daemons
with their own engines and runner ids). Every round must end in one
approval, one execution row and one command on the sshd. MariaDB runs 50
rounds; SQLite, the same code path, 10.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ssop.core.accounts.permissions import Principal
from ssop.core.errors import Conflict
from ssop.core.policy.approvals import ApprovalService
from ssop.core.services import Services, build_services
from tests.integration.policy.conftest import Rig, RigFactory
from tests.support.audit import refusals
from tests.support.policy import (
    SshExecutor,
    executions,
    fleet,
    proposal,
    sshd_builder,
    wire,
)
from tests.support.sshd import Sshd

pytestmark = [pytest.mark.sshd, pytest.mark.mariadb]


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Start ``calls`` together; each one's result, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as e:  # the race's loser raises; keep it as data
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def second_daemon(rig: Rig, sshd: Sshd) -> Iterator[Services]:
    other = build_services(rig.services.config, clock=rig.clock)
    executor = SshExecutor(other.sessions, rig.clock, sshd_builder(sshd))
    wire(other, executor)
    yield other
    executor.close()
    other.close()


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig(cooldown_s=0)


def one_round(
    first: ApprovalService,
    second: ApprovalService,
    olga: Principal,
    bob: Principal,
    request_id: int,
) -> None:
    approvals = race(
        lambda: first.approve(olga, request_id),
        lambda: second.approve(bob, request_id),
    )
    claims = race(
        lambda: first.claim_and_run(request_id),
        lambda: second.claim_and_run(request_id),
    )
    assert sorted(type(a).__name__ for a in approvals) == ["Conflict", "RequestView"], (
        approvals
    )
    assert "already approved" in str(
        next(a for a in approvals if isinstance(a, Conflict))
    )
    assert [c is None for c in claims].count(True) == 1, claims
    assert next(c for c in claims if c is not None).status == "succeeded"


def test_one_approval_and_one_execution_per_request(
    rig: Rig, second_daemon: Services, sshd: Sshd, store_url: str
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)
    olga, bob = rig.user("olga"), rig.user("bob")
    first, second = rig.services.approvals, second_daemon.approvals
    rounds = 50 if store_url.startswith("mysql") else 10
    request_ids = []

    for n in range(rounds):
        decided = rig.process(
            proposal(params={"service": f"svc{n}"}, recommendation_id=n + 1)
        )
        request_id = decided.decided[0].request_id
        assert request_id is not None
        request_ids.append(request_id)

        one_round(first, second, olga, bob, request_id)

    rows = executions(rig.services)
    assert sorted(e.request_id or 0 for e in rows) == sorted(request_ids)
    assert {e.status for e in rows} == {"succeeded"}
    assert [c[-1] for c in rig.systemctl()] == [f"svc{n}" for n in range(rounds)]
    lost = refusals(rig.services, "approval.approve")
    assert sorted(target for _, _, target, _ in lost) == sorted(
        f"request#{i}" for i in request_ids
    )
    assert {(actor in ("olga", "bob"), outcome) for actor, _, _, outcome in lost} == {
        (True, "conflict")
    }


def test_approving_while_two_daemons_poll_still_runs_once(
    rig: Rig, second_daemon: Services, sshd: Sshd
) -> None:
    fleet(rig.services, ["web1"], {"restart_service": False}, sshd)
    request_id = rig.process(proposal(recommendation_id=1)).decided[0].request_id
    assert request_id is not None
    stop = threading.Event()

    def poll(services: Services) -> int:
        ran = 0
        while not stop.is_set():
            ran += len(services.approvals.execute_approved().runs)
        return ran

    def approve_then_stop() -> None:
        rig.services.approvals.approve(rig.user("olga"), request_id)
        threading.Timer(1.0, stop.set).start()

    ran = race(
        lambda: poll(rig.services), lambda: poll(second_daemon), approve_then_stop
    )

    assert sorted(ran[:2]) == [0, 1]
    assert len(rig.systemctl()) == 1 and len(executions(rig.services)) == 1
