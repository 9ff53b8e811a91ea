"""The store side of the execution schedules: daemons' engines, approvers,
and each schedule's servers, pending requests and automatic proposals.

Every daemon slot keeps its own engine, as a separate process would; an
incarnation of a daemon is a fresh ``Services`` over it (its own runner id)
wired to its seams. Hosts are simulated (``HostLog``): the no-op action
needs no SSH.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.actions.spec import RiskLevel
from ssop.core.actions.stored import save_spec
from ssop.core.config.loader import LoadedConfig
from ssop.core.models import Server
from ssop.core.policy.ports import Proposal
from ssop.core.policy.states import IN_FLIGHT, RequestStatus
from ssop.core.services import Services, build_services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.approval_repo import ApprovalRepo
from ssop.core.store.server_repo import ServerRepo
from tests.fakes.clock import FakeClock
from tests.support.approved import NOOP, noop_requests
from tests.support.auth import add_user, login
from tests.support.execution_seams import HostLog, SeamExecutor, Seams

TTL_S, LEASE_S = 180, 60  # approval expiry; reconcile waits NOOP's timeout + lease
POLICY = {
    "policy.cooldown_s": 0,
    "policy.max_auto_per_hour": 1000,
    "policy.fleet_max_auto_per_hour": 1000,
    "policy.max_concurrent": 1000,
    "policy.max_fleet_percent": 100.0,
    "policy.approval_ttl_hours": TTL_S / 3600,
    "policy.claim_lease_s": LEASE_S,
}
MAX_DAEMONS, APPROVERS = 3, ("olga", "bob")
MAX_RETRY_SLEEP_S = 0.2
RELOGIN_AFTER = timedelta(hours=4)  # login sessions last 12 h by default


class SimClock:
    """The schedule's fake wall time; a retry's backoff really sleeps (briefly),
    so a lock race is retried after the winner moved on, as in production."""

    def __init__(self, fake: FakeClock) -> None:
        self.fake = fake

    def now(self) -> datetime:
        return self.fake.now()

    def monotonic(self) -> float:
        return self.fake.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, MAX_RETRY_SLEEP_S))


@dataclass
class ExecutionRig:
    setup: Services
    slots: list[Services]
    approvers: list[Services]
    clock: FakeClock
    hosts: HostLog
    logins: list[Principal] = field(default_factory=list)
    logged_in_at: datetime | None = None

    def incarnation(self, slot: int, seams: Seams) -> Services:
        """A daemon (re)started on ``slot``: new services, a new runner id."""
        base = self.slots[slot]
        services = Services(
            config=base.config,
            engine=base.engine,
            sessions=base.sessions,
            clock=SimClock(self.clock),
            transport_factory=self.hosts.transport,
        )
        services.policy_executor = SeamExecutor(services.runner, seams)
        runner = services.request_runner
        runner.executor = seams.after_claim(runner.executor)
        seams.holding = lambda: holding(services, runner.runner_id)
        return services

    def principals(self) -> list[Principal]:
        """The approvers, logged in again well before their sessions end (the
        schedules move the clock by hours; a login costs a bcrypt hash)."""
        now = self.clock.now()
        if self.logged_in_at is None or now - self.logged_in_at > RELOGIN_AFTER:
            self.logins = [login(self.setup, n, f"{n}-pw") for n in APPROVERS]
            self.logged_in_at = now
        return self.logins

    def close(self) -> None:
        for services in [self.setup, *self.slots, *self.approvers]:
            services.close()


def open_rig(config: LoadedConfig, clock: FakeClock) -> ExecutionRig:
    setup = build_services(config, clock=clock)
    setup.store.seed()
    noop_action(setup)
    for name in APPROVERS:
        add_user(setup, name, Role.OPERATOR, f"{name}-pw")
    return ExecutionRig(
        setup=setup,
        slots=[build_services(config, clock=clock) for _ in range(MAX_DAEMONS)],
        approvers=[build_services(config, clock=clock) for _ in APPROVERS],
        clock=clock,
        hosts=HostLog(),
    )


def noop_action(services: Services) -> None:
    with services.sessions() as s, s.begin():
        save_spec(ActionRepo(s), NOOP)


def add_servers(services: Services, names: list[str], automatic: bool) -> None:
    with services.sessions() as s, s.begin():
        action = ActionRepo(s).get(NOOP.name)
        for name in names:
            server = ServerRepo(s).add(
                Server(name=name, host="127.0.0.1", username="root")
            )
            AssignmentRepo(s).assign(server, action, automatic=automatic)


def pending_requests(services: Services, servers: list[str]) -> list[int]:
    """One request per server to run NOOP, waiting for an approver."""
    now = services.clock.now()
    ttl = timedelta(hours=services.config.settings.policy.approval_ttl_hours)
    with services.sessions() as s, s.begin():
        return noop_requests(
            s,
            services,
            servers,
            created_at=now,
            expires_at=now + ttl,
            status=RequestStatus.PENDING_APPROVAL,
            requested_by="requester",
        )


def proposals(seed: int, servers: list[str]) -> list[Proposal]:
    """What an analysis recommended: NOOP on each server, automatic-grade."""
    return [
        Proposal(
            analysis_id=seed,
            recommendation_id=seed * 10 + n,
            server=name,
            action=NOOP.name,
            params={},
            effective_risk=RiskLevel.LOW,
            confidence=0.95,
            reason=f"schedule {seed}",
        )
        for n, name in enumerate(servers)
    ]


def holding(services: Services, runner_id: str) -> list[int]:
    """The requests ``runner_id`` holds in flight, as the store says."""
    with services.sessions() as s:
        rows = ApprovalRepo(s).in_flight(IN_FLIGHT)
    return [r.id for r in rows if r.claimed_by == runner_id and r.id is not None]


def approved_now(services: Services, ids: list[int]) -> set[int]:
    with services.sessions() as s:
        found = ApprovalRepo(s).ids_where([RequestStatus.APPROVED])
    return set(found) & set(ids)
