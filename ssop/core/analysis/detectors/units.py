"""Failed and flapping systemd units.

A unit failed in N of the last M readings gets ``restart_service`` (medium
risk). A unit seen failed again ``analysis.flapping_failures`` times after a
restart or a recovery within ``analysis.flapping_window_s`` is flapping: a
high-risk finding, and no restart, since restarts do not help it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from ssop.core.actions.guards.checks import unit_stem
from ssop.core.analysis.base import (
    AnalysisContext,
    ExecutionBrief,
    Finding,
    Sample,
)
from ssop.core.analysis.detectors.window import (
    HIGH,
    MEDIUM,
    Detection,
    Held,
    latest,
    n_of_m,
    propose,
    where,
)
from ssop.core.config.schema import AnalysisSection
from ssop.core.models.execution import ExecutionStatus

RESTARTS = ("restart_service", "start_service")
# Execution statuses of attempts that never reached the host.
NOT_RUN = frozenset(
    {
        ExecutionStatus.PROPOSED,
        ExecutionStatus.PENDING_APPROVAL,
        ExecutionStatus.APPROVED,
        ExecutionStatus.CLAIMED,
        ExecutionStatus.REJECTED,
        ExecutionStatus.EXPIRED,
    }
)


def _unit_failed(unit: str) -> Callable[[Sample], bool]:
    return lambda s: unit in s.failed_units


def is_restart_of(execution: ExecutionBrief, unit: str) -> bool:
    service = str(execution.params.get("service", ""))
    return (
        execution.action in RESTARTS
        and execution.status not in NOT_RUN
        and unit_stem(service) == unit_stem(unit)
    )


def refailures(unit: str, ctx: AnalysisContext, cfg: AnalysisSection) -> int:
    """Times ``unit`` was seen failed again after a restart or a recovery."""
    since = ctx.now - timedelta(seconds=cfg.flapping_window_s)
    events: list[tuple[datetime, int, bool | None]] = [
        (s.at, 1, unit in s.failed_units) for s in ctx.samples if s.at >= since
    ]
    events += [
        (e.at, 0, None)
        for e in ctx.executions
        if e.at >= since and is_restart_of(e, unit)
    ]
    count, state = 0, "unknown"
    for _, _, failed in sorted(events, key=lambda e: (e[0], e[1])):
        if failed is None or (not failed and state == "failed"):
            state = "recovering"
        elif failed:
            count += state == "recovering"
            state = "failed"
    return count


def _flapping(
    unit: str, again: int, held: Held, evidence: dict[str, object], cfg: AnalysisSection
) -> Finding:
    minutes = cfg.flapping_window_s // 60
    message = (
        f"unit {unit} is flapping: failed again {again} times after a "
        f"restart or recovery in the last {minutes} min; not restarting it"
    )
    flapping = {**evidence, "kind": "unit_flapping", "refailures": again}
    return Finding(
        "unit_flapping",
        unit,
        HIGH,
        message,
        held=held.held,
        of=held.of,
        evidence=flapping,
    )


def detect_units(ctx: AnalysisContext, cfg: AnalysisSection) -> Iterator[Detection]:
    now = latest(ctx)
    for unit in now.failed_units:
        held = n_of_m(ctx.samples, _unit_failed(unit), cfg)
        if not held.sustained:
            continue
        evidence: dict[str, object] = {
            "kind": "unit_failed",
            "unit": unit,
            **where(now),
        }
        again = refailures(unit, ctx, cfg)
        if again >= cfg.flapping_failures:
            yield _flapping(unit, again, held, evidence, cfg), []
            continue
        message = f"unit {unit} failed (in {held.text()})"
        finding = Finding(
            "unit_failed",
            unit,
            MEDIUM,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
        )
        yield finding, propose(ctx, finding, "restart_service", {"service": unit})
