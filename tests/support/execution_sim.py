"""Randomized fault schedules over the real execution path on the real store.

A schedule puts a few daemons (threads, each over its own engine) on a
handful of simulated hosts: pending manual requests that approvers approve,
approve twice, reject, approve and reject at once, approve and then reject
while the daemons run, approve late or never; and automatic proposals that
every daemon's policy step decides at once. Each daemon runs the real steps
(``remediation.process``, ``approvals.execute_approved``, ``expire_due``,
``reconcile``) in phases:

A. approvers and daemons together; B. daemons again (and the late rejects);
C. the clock jumps past the claim lease or past the approvals' expiry while
a paused daemon stays stopped; the others run in full ("busy") or only
their housekeeping ("lonely"), and late approvals come in; D. the paused
daemon resumes amid a round of everyone, killed daemons restarted (C and D
again if the pause struck only in D); then the clock passes every lease
and expiry and one daemon does housekeeping.

The seed chooses the requests, plans and faults (a kill or a pause at one
of the ``Seam``\\s); threads make the interleaving differ run to run.
"""

from __future__ import annotations

import random
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ssop.core.accounts.permissions import Principal
from ssop.core.errors import Conflict
from ssop.core.policy.ports import Proposal
from ssop.core.services import Services
from tests.support import execution_rig as rig_support
from tests.support.approved import NOOP
from tests.support.execution_check import Expectation, problems_of
from tests.support.execution_rig import LEASE_S, TTL_S, ExecutionRig
from tests.support.execution_seams import Fault, Killed, Seam, Seams

PLANS = (
    "approve",
    "approve_twice",
    "reject",
    "approve_reject",
    "approve_then_reject",
    "late",
    "never",
)
ABANDONED_S = NOOP.timeout_s + LEASE_S  # the reconciler's wait for a claim
JUMPS = {"lease": ABANDONED_S + 5, "ttl": TTL_S + 20}
SETTLE_S = TTL_S + ABANDONED_S + 60
PHASE_S = 1.0  # the clock moves on a little between rounds
JOIN_POLL_S = 0.005

Step = Callable[[], object]


@dataclass(frozen=True)
class SchedulePlan:
    daemons: int
    manual: tuple[str, ...]
    autos: int
    faults: dict[int, Fault]
    jump: str
    company: str


def choose(rng: random.Random) -> SchedulePlan:
    daemons = rng.randint(2, 3)
    pauser = rng.randrange(daemons) if rng.random() < 0.6 else None
    faults = {}
    for slot in range(daemons):
        if slot == pauser:
            faults[slot] = Fault("pause", rng.choice(list(Seam)))
        elif rng.random() < 0.5 or (slot == daemons - 1 and not faults):
            faults[slot] = Fault("kill", rng.choice(list(Seam)))
    return SchedulePlan(
        daemons=daemons,
        manual=tuple(rng.choice(PLANS) for _ in range(rng.randint(2, 4))),
        autos=rng.randint(1, 2),
        faults=faults,
        jump=rng.choice(tuple(JUMPS)),
        company=rng.choice(("busy", "lonely")),
    )


@dataclass
class DaemonThread:
    slot: int
    seams: Seams
    services: Services
    dead: bool = False
    thread: threading.Thread | None = None

    @property
    def paused(self) -> bool:
        return self.seams.paused.is_set() and not self.seams.resume.is_set()


@dataclass
class ScheduleResult:
    seed: int
    plan: SchedulePlan
    fired: list[Fault]
    faults: list[str]  # each fired fault, its daemon and the requests it held
    problems: list[str]
    requests: int
    executions: int
    most: int  # executions of the request that had the most


@dataclass
class ApproverWins:
    """What the approvers won, as their calls returned it."""

    approved: Counter[int] = field(default_factory=Counter)
    rejected: set[int] = field(default_factory=set)

    def problems(self) -> list[str]:
        twice = sorted(rid for rid, n in self.approved.items() if n > 1)
        return [f"request #{rid}: two approvals won" for rid in twice]


class Schedule:
    def __init__(self, rig: ExecutionRig, seed: int) -> None:
        self.rig = rig
        self.seed = seed
        self.rng = random.Random(seed)
        self.plan = choose(self.rng)
        self.wins = ApproverWins()
        self.incarnations: list[DaemonThread] = []
        self.stranded: set[int] = set()
        self.errors: list[str] = []
        self.proposals: list[Proposal] = []

    def run(self) -> ScheduleResult:
        manual, autos = self._fleet()
        self.proposals = rig_support.proposals(self.seed, autos)
        ids = rig_support.pending_requests(self.rig.setup, manual)
        calls = self._approver_calls(dict(zip(ids, self.plan.manual, strict=True)))
        daemons = [self._start(slot) for slot in range(self.plan.daemons)]
        self._phase(daemons, calls["A"], analyse=True)
        self._phase(daemons, calls["B"])
        self._time_passes(daemons, calls["C"], ids)
        daemons = self._resume_round(daemons)
        if any(d.paused for d in daemons):  # the pause struck only in that round
            self._time_passes(daemons, [], ids)
            daemons = self._resume_round(daemons)
        self._settle()
        return self._result(ids, autos)

    def _fleet(self) -> tuple[list[str], list[str]]:
        manual = [f"x{self.seed}-m{n}" for n in range(len(self.plan.manual))]
        autos = [f"x{self.seed}-a{n}" for n in range(self.plan.autos)]
        rig_support.add_servers(self.rig.setup, manual, automatic=False)
        rig_support.add_servers(self.rig.setup, autos, automatic=True)
        return manual, autos

    def _start(self, slot: int) -> DaemonThread:
        """A daemon on ``slot``; only its first incarnation carries the fault."""
        first = all(d.slot != slot for d in self.incarnations)
        seams = Seams(self.plan.faults.get(slot) if first else None)
        daemon = DaemonThread(slot, seams, self.rig.incarnation(slot, seams))
        self.incarnations.append(daemon)
        return daemon

    def _resume_round(self, daemons: list[DaemonThread]) -> list[DaemonThread]:
        """Phase D: killed daemons restarted, the paused one resumed, all tick."""
        daemons = [self._start(d.slot) if d.dead else d for d in daemons]
        self._phase(daemons, [], resume=True)
        return daemons

    def _approver_calls(self, plans: dict[int, str]) -> dict[str, list[Step]]:
        olga, bob = self.rig.principals()
        calls: dict[str, list[Step]] = {"A": [], "B": [], "C": []}
        for rid, plan in plans.items():
            yes, no = self._approve(0, olga, rid), self._reject(1, bob, rid)
            if plan in ("approve", "approve_twice", "approve_reject"):
                calls["A"].append(yes)
            if plan == "approve_twice":
                calls["A"].append(self._approve(1, bob, rid))
            if plan in ("reject", "approve_reject"):
                calls["A"].append(no)
            if plan == "approve_then_reject":
                calls["A"].append(yes)
                calls["B"].append(no)
            if plan == "late":
                calls["C"].append(yes)
        return calls

    def _approve(self, n: int, who: Principal, rid: int) -> Step:
        def approve() -> None:
            try:
                self.rig.approvers[n].approvals.approve(who, rid)
            except Conflict:
                return
            self.wins.approved[rid] += 1

        return approve

    def _reject(self, n: int, who: Principal, rid: int) -> Step:
        def reject() -> None:
            try:
                self.rig.approvers[n].approvals.reject(who, rid, "not now")
            except Conflict:
                return
            self.wins.rejected.add(rid)

        return reject

    def _time_passes(
        self, daemons: list[DaemonThread], calls: list[Step], ids: list[int]
    ) -> None:
        """Phase C: the jump, with the paused daemon (if any) still stopped."""
        if self.plan.jump == "ttl":
            self.stranded |= rig_support.approved_now(self.rig.setup, ids)
        self.rig.clock.advance(JUMPS[self.plan.jump])
        lonely = self.plan.company == "lonely"
        self._phase(daemons, calls, housekeeping_only=lonely)

    def _phase(
        self,
        daemons: list[DaemonThread],
        calls: Sequence[Step],
        *,
        analyse: bool = False,
        housekeeping_only: bool = False,
        resume: bool = False,
    ) -> None:
        """One round: every running daemon ticks, the approvers' calls with them.

        Returns once each thread has ended or paused.
        """
        self.rig.clock.advance(PHASE_S)
        held = [d for d in daemons if d.paused]
        runnable = [d for d in daemons if not d.dead and not d.paused]
        threads: list[tuple[DaemonThread | None, threading.Thread]] = [
            (d, self._ticker(d, analyse, housekeeping_only)) for d in runnable
        ]
        threads += [(None, self._thread(call)) for call in calls]
        for _, t in threads:
            t.start()
        if resume:
            for d in held:
                d.seams.resume.set()
            threads += [(d, d.thread) for d in held if d.thread is not None]
        for daemon, t in threads:
            while t.is_alive() and not (daemon is not None and daemon.paused):
                t.join(JOIN_POLL_S)

    def _ticker(
        self, d: DaemonThread, analyse: bool, housekeeping_only: bool
    ) -> threading.Thread:
        """The daemon's steps: decide the analysis' proposals (in the rounds
        that follow it) and run approved requests, in a random order; then
        expire and reconcile."""
        steps: list[Step] = [
            lambda: d.services.approvals.execute_approved(d.seams.should_stop)
        ]
        if analyse:
            steps.append(lambda: d.services.remediation.process(self.proposals))
        self.rng.shuffle(steps)
        if housekeeping_only:
            steps = []
        steps += [d.services.approvals.expire_due, d.services.reconciler.reconcile]

        def tick() -> None:
            try:
                for step in steps:
                    step()
            except Killed:
                d.dead = True

        d.thread = self._thread(tick)
        return d.thread

    def _thread(self, call: Step) -> threading.Thread:
        def guarded() -> None:
            try:
                call()
            except Exception as e:  # a schedule's problem, reported with its seed
                where = traceback.extract_tb(e.__traceback__)
                ours = [f for f in where if "/ssop/" in f.filename][-6:]
                steps = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(ours))
                self.errors.append(f"{type(e).__name__}: {e} at {steps}")

        return threading.Thread(target=guarded, daemon=True)

    def _settle(self) -> None:
        """Past every lease and expiry: one restarted daemon's housekeeping."""
        for d in self.incarnations:
            d.seams.resume.set()
        self.rig.clock.advance(SETTLE_S)
        keeper = self._start(0)
        keeper.services.approvals.expire_due()
        keeper.services.reconciler.reconcile()

    def _result(self, ids: list[int], autos: list[str]) -> ScheduleResult:
        fired = [d for d in self.incarnations if d.seams.fired]
        touched = {rid for d in fired for rid in d.seams.hit} | self.stranded
        expect = Expectation(
            manual=frozenset(ids),
            approved=frozenset(set(self.wins.approved) - self.wins.rejected),
            auto_servers=frozenset(autos),
            touched=frozenset(touched),
        )
        with self.rig.setup.sessions() as s:
            found = problems_of(s, expect, self.rig.hosts.sent)
        faults = [
            f"daemon{d.slot} {d.seams.fault.line()} holding {d.seams.hit}"
            for d in fired
            if d.seams.fault is not None
        ]
        return ScheduleResult(
            seed=self.seed,
            plan=self.plan,
            fired=[d.seams.fault for d in fired if d.seams.fault is not None],
            faults=faults,
            problems=self.errors + self.wins.problems() + found.problems,
            requests=found.requests,
            executions=found.executions,
            most=found.most,
        )


@dataclass
class Tally:
    """Many schedules summed up: the figure the test and the bench print."""

    schedules: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    executions: int = 0
    most: int = 0
    failing: list[ScheduleResult] = field(default_factory=list)

    def add(self, outcome: ScheduleResult) -> None:
        self.schedules += 1
        self.faults.update(f.line() for f in outcome.fired)
        self.requests += outcome.requests
        self.executions += outcome.executions
        self.most = max(self.most, outcome.most)
        if outcome.problems:
            self.failing.append(outcome)

    def line(self) -> str:
        return (
            f"{self.schedules} schedules, {sum(self.faults.values())} faults fired"
            f" ({len(self.faults)} kinds), {self.requests} requests,"
            f" {self.executions} executions, at most {self.most} per request,"
            f" {len(self.failing)} failing"
        )


def run_schedules(rig: ExecutionRig, seeds: range) -> Tally:
    tally = Tally()
    for seed in seeds:
        tally.add(Schedule(rig, seed).run())
    return tally
