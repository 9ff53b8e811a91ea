"""Verify after acting: did the condition a change was meant to clear, clear?

A verification is scheduled when a change succeeds (see the request
runner). Once due, it waits for readings taken after the change (the next
crawl) and records the verdict. An action whose verification fails
``policy.verify_failures_to_demote`` times in a row on a server loses
automatic execution there until an admin re-enables it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import PolicySection
from ssop.core.models import Verification
from ssop.core.notify.events import EventKind, Notification, Notifier
from ssop.core.policy import conditions
from ssop.core.policy.ports import ReadingsSource
from ssop.core.store.db import SessionFactory
from ssop.core.store.verify_repo import VerifyRepo
from ssop.core.work import ShouldStop, StepReport, never_stop

log = logging.getLogger(__name__)

MIN_PATIENCE = timedelta(minutes=10)


@dataclass
class VerifyReport(StepReport):
    cleared: list[int] = field(default_factory=list)
    not_cleared: list[int] = field(default_factory=list)
    undetermined: list[int] = field(default_factory=list)
    demoted: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.not_cleared)

    def summary(self) -> str:
        return (
            f"{len(self.cleared)} cleared, {len(self.not_cleared)} not cleared, "
            f"{len(self.undetermined)} undetermined"
        )


@dataclass(frozen=True)
class Effectiveness:
    """Per action: how often a change cleared its condition."""

    action: str
    checked: int
    cleared: int
    not_cleared: int
    undetermined: int


class VerificationService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        policy: PolicySection,
        readings: ReadingsSource,
        notifier: Notifier,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.policy = policy
        self.readings = readings
        self.notifier = notifier
        self.patience = max(MIN_PATIENCE, timedelta(seconds=5 * policy.verify_delay_s))

    def verify_due(self, should_stop: ShouldStop = never_stop) -> VerifyReport:
        """The daemon step: check every due verification that has fresh readings."""
        now = self.clock.now()
        report = VerifyReport()
        with self.sessions() as s:
            due = VerifyRepo(s).due(now)
        for row in due:
            if should_stop():
                break
            self._check(row, now, report)
        return report

    def _check(self, row: Verification, now: datetime, report: VerifyReport) -> None:
        readings = self.readings.latest(row.server_name)
        fresh = readings is not None and _taken_after(
            readings.get("at"), row.created_at
        )
        if readings is None or not fresh:
            if now >= row.due_at + self.patience:
                self._store(
                    row, now, None, "no readings taken after the change", report
                )
            return
        verdict = conditions.verify(row.action_name, row.params, row.baseline, readings)
        self._store(row, now, verdict.holds, verdict.detail, report)

    def _store(
        self,
        row: Verification,
        now: datetime,
        cleared: bool | None,
        detail: str,
        report: VerifyReport,
    ) -> None:
        demoted = False
        with self.sessions() as s, s.begin():
            repo = VerifyRepo(s)
            if not repo.record(row.id or 0, now, cleared, detail):
                return
            if cleared is False:
                demoted = self._maybe_demote(repo, row, now)
        bucket = {
            True: report.cleared,
            False: report.not_cleared,
            None: report.undetermined,
        }
        bucket[cleared].append(row.id or 0)
        if cleared is False:
            self._announce(row, detail, demoted)
            if demoted:
                report.demoted.append((row.server_name, row.action_name))

    def _maybe_demote(self, repo: VerifyRepo, row: Verification, now: datetime) -> bool:
        needed = self.policy.verify_failures_to_demote
        after = repo.last_cleared(row.server_name, row.action_name)
        verdicts = repo.recent_verdicts(row.server_name, row.action_name, after, needed)
        if len(verdicts) < needed or any(verdicts):
            return False
        reason = f"verification failed {needed} time(s) in a row"
        return repo.demote(row.server_name, row.action_name, now, reason)

    def _announce(self, row: Verification, detail: str, demoted: bool) -> None:
        suffix = "; it now needs approval there" if demoted else ""
        self.notifier.notify(
            Notification(
                EventKind.VERIFICATION_FAILED,
                self.clock.now(),
                f"{row.action_name} on {row.server_name} "
                f"did not clear the condition{suffix}",
                server=row.server_name,
                action=row.action_name,
                params=row.params,
                request_id=row.request_id,
                execution_id=row.execution_id,
                status="not_cleared",
                detail=detail,
            )
        )

    @refusals_audited("policy.effectiveness")
    def effectiveness(self, who: Principal, since: datetime) -> list[Effectiveness]:
        """Verdicts per action checked after ``since`` (needs reports.read)."""
        with self.sessions() as s, s.begin():
            require_in(s, self.clock.now(), who, Capability.REPORTS_READ)
            counts = VerifyRepo(s).verdict_counts(since)
        return [
            Effectiveness(
                a, sum(c.values()), c.get(True, 0), c.get(False, 0), c.get(None, 0)
            )
            for a, c in sorted(counts.items())
        ]


def _taken_after(at: object, moment: datetime) -> bool:
    return isinstance(at, datetime) and at > moment
