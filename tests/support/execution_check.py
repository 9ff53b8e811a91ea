"""The execution schedules' checker: from the store (and what the hosts
received), did any request run twice, run when it must not, or fail to run
when nothing excused it?

A request is *touched* when a fault struck its holder while it held it
in flight, or when it was approved and waiting as the clock passed its
expiry; anything else approved (and not rejected after) must have run
exactly once and succeeded. Touched or not, nothing runs twice, after a
rejection or expiry, after its request was closed, or without a record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from ssop.core.lifecycle import Trigger
from ssop.core.models import ApprovalRequest, Execution, PolicyDecision
from ssop.core.policy.states import RequestStatus

OPEN = ("pending_approval", "approved", "claimed", "running")
NOT_RUN = ("rejected", "expired", "cancelled")


@dataclass(frozen=True)
class Expectation:
    manual: frozenset[int]  # the manual requests
    approved: frozenset[int]  # approvals won and not rejected afterwards
    auto_servers: frozenset[str]  # one automatic proposal each
    touched: frozenset[int]


@dataclass
class Found:
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    executions: int = 0
    most: int = 0  # the most executions any one request had


@dataclass(frozen=True)
class StoredFacts:
    requests: list[ApprovalRequest]
    runs: dict[int, list[Execution]]
    per_server: Counter[str]
    decisions: Counter[str]


def problems_of(s: Session, expect: Expectation, sent: Counter[str]) -> Found:
    facts = gather(s, expect)
    found = Found(requests=len(facts.requests))
    found.executions = sum(len(r) for r in facts.runs.values())
    found.most = max((len(r) for r in facts.runs.values()), default=0)
    for row in facts.requests:
        found.problems += request_problems(row, facts.runs.get(row.id or 0, []))
        found.problems += expected_problems(row, facts, expect)
    found.problems += host_problems(facts, sent)
    for server in sorted(expect.auto_servers):
        if facts.decisions[server] != 1:
            found.problems.append(f"{server}: decided {facts.decisions[server]}x")
    return found


def gather(s: Session, expect: Expectation) -> StoredFacts:
    requests = list(
        s.exec(
            select(ApprovalRequest).where(
                col(ApprovalRequest.id).in_(list(expect.manual))
                | col(ApprovalRequest.server_name).in_(list(expect.auto_servers))
            )
        )
    )
    servers = [r.server_name for r in requests]
    runs: dict[int, list[Execution]] = defaultdict(list)
    per_server: Counter[str] = Counter()
    for e in s.exec(select(Execution).where(col(Execution.server_name).in_(servers))):
        runs[e.request_id or 0].append(e)
        per_server[e.server_name] += 1
    decided = s.exec(
        select(PolicyDecision.server_name).where(
            col(PolicyDecision.server_name).in_(list(expect.auto_servers)),
            PolicyDecision.outcome == "executed",
        )
    )
    return StoredFacts(requests, runs, per_server, Counter(decided))


def request_problems(row: ApprovalRequest, runs: list[Execution]) -> list[str]:
    """What must hold of every request, whatever struck it."""
    what = f"request #{row.id} ({row.trigger}, {row.status})"
    out = []
    if len(runs) > 1:
        out.append(f"{what}: executed {len(runs)} times")
    if row.status in OPEN:
        out.append(f"{what}: still open after every lease and expiry")
    if runs and row.status in NOT_RUN:
        out.append(f"{what}: executed though {row.status}")
    for e in runs:
        if row.closed_at is not None and e.started_at > row.closed_at:
            out.append(f"{what}: execution #{e.id} began after it was closed")
        if row.claimed_at is None or row.claimed_at >= row.expires_at:
            out.append(f"{what}: execution #{e.id} of a claim at or past expiry")
    return out


def expected_problems(
    row: ApprovalRequest, facts: StoredFacts, expect: Expectation
) -> list[str]:
    """Untouched approved and automatic requests ran once; unapproved never."""
    runs = facts.runs.get(row.id or 0, [])
    what = f"request #{row.id} ({row.trigger}, {row.status})"
    if row.trigger == Trigger.MANUAL and row.id not in expect.approved:
        return [f"{what}: not approved, yet executed"] if runs else []
    if row.id in expect.touched:
        return []
    ok = [e.status for e in runs] == ["succeeded"]
    if not ok or row.status != RequestStatus.SUCCEEDED:
        return [f"{what}: untouched, executions {[e.status for e in runs]}"]
    return []


def host_problems(facts: StoredFacts, sent: Counter[str]) -> list[str]:
    """Each command a host received has its execution row, and no host got two."""
    out = []
    for server in sorted({r.server_name for r in facts.requests}):
        if sent[server] > 1 or sent[server] != facts.per_server[server]:
            out.append(
                f"{server}: received {sent[server]} command(s), "
                f"{facts.per_server[server]} execution row(s)"
            )
    return out
