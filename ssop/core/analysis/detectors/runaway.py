"""Runaway processes: one process keeping a core busy for many readings.

A process at or above ``analysis.process_cpu_pct`` of one core (as top
counts it) in N of the last M readings is a runaway: a medium-risk finding
and ``kill_process`` of its name, which waits for approval unless the
assignment is automatic and policy allows it. Protected processes and
ssop's own session are reported, never proposed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ssop.core.analysis.base import AnalysisContext, Finding, Proc, Sample
from ssop.core.analysis.detectors.spared import spared
from ssop.core.analysis.detectors.window import (
    MEDIUM,
    Detection,
    Held,
    latest,
    n_of_m,
    propose,
    where,
    withheld,
)
from ssop.core.config.schema import AnalysisSection


def _busy(name: str, percent: float) -> Callable[[Sample], bool]:
    return lambda s: any(
        p.name == name and (p.cpu_percent or 0.0) >= percent for p in s.processes
    )


def _finding(
    proc: Proc, held: Held, cfg: AnalysisSection, ctx: AnalysisContext
) -> Finding:
    message = (
        f"process {proc.name} (pid {proc.pid}) at {proc.cpu_percent or 0.0:.0f}% "
        f"of a core (>= {cfg.process_cpu_pct:g}% in {held.text()})"
    )
    evidence = {
        "kind": "process_runaway",
        "process": proc.name,
        "pid": proc.pid,
        "cpu_percent": proc.cpu_percent,
        **where(latest(ctx)),
    }
    return Finding(
        "process_runaway",
        proc.name,
        MEDIUM,
        message,
        held=held.held,
        of=held.of,
        evidence=evidence,
    )


def detect_runaways(ctx: AnalysisContext, cfg: AnalysisSection) -> Iterator[Detection]:
    now = latest(ctx)
    busy = [p for p in now.processes if (p.cpu_percent or 0.0) >= cfg.process_cpu_pct]
    seen: set[str] = set()
    for proc in sorted(busy, key=lambda p: -(p.cpu_percent or 0.0)):
        if proc.name in seen:
            continue
        seen.add(proc.name)
        held = n_of_m(ctx.samples, _busy(proc.name, cfg.process_cpu_pct), cfg)
        if not held.sustained:
            continue
        finding = _finding(proc, held, cfg, ctx)
        why_not = spared(proc.name, ctx)
        if why_not is not None:
            yield withheld(finding, why_not)
            continue
        yield finding, propose(ctx, finding, "kill_process", {"process": proc.name})
