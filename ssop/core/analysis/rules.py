"""The rule engine: pure functions over a server's recent readings.

A condition must hold in N of the last M readings, and in the latest one,
before it becomes a finding, so one spike changes nothing. Findings carry
the rule engine's risk; proposals are made only for actions assigned to the
server, with parameters taken from what was observed (the unit that
failed, the process that is there). A unit that keeps failing after
restarts is flapping: it is reported, and no restart is proposed for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ssop.core.actions.guards.checks import unit_stem
from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import (
    AnalyserProposal,
    AnalysisContext,
    AnalysisResult,
    CrawlFailure,
    ExecutionBrief,
    Finding,
    Proc,
    Sample,
)
from ssop.core.config.schema import AnalysisSection
from ssop.core.models.execution import ExecutionStatus

LOW, MEDIUM, HIGH = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH
ANALYZER = "rules"
CLEANUPS = ("cleanup_temp_files", "cleanup_log_files")
RESTARTS = ("restart_service", "start_service")
# The rule engine's view of actions whose harm does not depend on the reading.
ACTION_FLOOR: Mapping[str, RiskLevel] = {
    "kill_process": HIGH,
    "stop_service": HIGH,
    "reboot_system": HIGH,
}
DISK_CRITICAL = 98.0
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

Rule = Callable[
    [AnalysisContext, AnalysisSection], Iterator[tuple[Finding, list[AnalyserProposal]]]
]


@dataclass(frozen=True)
class Held:
    """How often a condition held in the window, and whether that is enough."""

    held: int
    of: int
    sustained: bool

    def text(self) -> str:
        return f"{self.held} of the last {self.of} readings"


def n_of_m(
    samples: Sequence[Sample], cond: Callable[[Sample], bool], cfg: AnalysisSection
) -> Held:
    window = samples[-cfg.of_last :]
    held = sum(1 for s in window if cond(s))
    enough = held >= cfg.need_readings and bool(window) and cond(window[-1])
    return Held(held, len(window), enough)


def _where(sample: Sample) -> dict[str, object]:
    return {"sample_id": sample.id, "at": sample.at.isoformat()}


def _disk_percent(sample: Sample, mount: str) -> float:
    return next((d.percent for d in sample.disks if d.mount == mount), 0.0)


def _disk_at_least(mount: str, percent: float) -> Callable[[Sample], bool]:
    return lambda s: _disk_percent(s, mount) >= percent


def _unit_failed(unit: str) -> Callable[[Sample], bool]:
    return lambda s: unit in s.failed_units


def disk_rule(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[tuple[Finding, list[AnalyserProposal]]]:
    latest = ctx.latest
    assert latest is not None
    for disk in latest.disks:
        held = n_of_m(
            ctx.samples,
            _disk_at_least(disk.mount, cfg.disk_percent),
            cfg,
        )
        if not held.sustained:
            continue
        risk = HIGH if disk.percent >= DISK_CRITICAL else MEDIUM
        message = (
            f"disk {disk.mount} at {disk.percent:.0f}% "
            f"(>= {cfg.disk_percent:g}% in {held.text()})"
        )
        evidence = {
            "kind": "disk_full",
            "mount": disk.mount,
            "percent": disk.percent,
            **_where(latest),
        }
        finding = Finding(
            "disk_full",
            disk.mount,
            risk,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
        )
        proposals = [
            AnalyserProposal(
                name,
                {"days": str(cfg.cleanup_days)},
                f"{message}: delete files older than {cfg.cleanup_days} days",
                priority=i + 1,
                risk=risk,
                evidence=evidence,
            )
            for i, name in enumerate(CLEANUPS)
            if name in ctx.allowed
        ]
        yield finding, proposals


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


def unit_rule(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[tuple[Finding, list[AnalyserProposal]]]:
    latest = ctx.latest
    assert latest is not None
    for unit in latest.failed_units:
        held = n_of_m(ctx.samples, _unit_failed(unit), cfg)
        if not held.sustained:
            continue
        evidence = {"kind": "unit_failed", "unit": unit, **_where(latest)}
        again = refailures(unit, ctx, cfg)
        if again >= cfg.flapping_failures:
            minutes = cfg.flapping_window_s // 60
            message = (
                f"unit {unit} is flapping: failed again {again} times after a "
                f"restart or recovery in the last {minutes} min; not restarting it"
            )
            flapping = {**evidence, "kind": "unit_flapping", "refailures": again}
            yield (
                Finding(
                    "unit_flapping",
                    unit,
                    HIGH,
                    message,
                    held=held.held,
                    of=held.of,
                    evidence=flapping,
                ),
                [],
            )
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
        proposals = (
            [
                AnalyserProposal(
                    "restart_service",
                    {"service": unit},
                    message,
                    priority=1,
                    server=None,
                    risk=MEDIUM,
                    evidence=evidence,
                )
            ]
            if "restart_service" in ctx.allowed
            else []
        )
        yield finding, proposals


def _load_high(sample: Sample, cfg: AnalysisSection) -> bool:
    if sample.load1 is None or not sample.cpu_count:
        return False
    return sample.load1 > sample.cpu_count * cfg.load_per_core


def load_rule(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[tuple[Finding, list[AnalyserProposal]]]:
    latest = ctx.latest
    assert latest is not None
    held = n_of_m(ctx.samples, lambda s: _load_high(s, cfg), cfg)
    if not held.sustained:
        return
    message = (
        f"load {latest.load1:.2f} on {latest.cpu_count} cores "
        f"(> {cfg.load_per_core:g} per core in {held.text()})"
    )
    busiest = max(latest.processes, key=lambda p: p.cpu_percent or 0.0, default=None)
    evidence: dict[str, object] = {"kind": "load_high", "load1": latest.load1}
    if busiest is not None:
        evidence["busiest_process"] = busiest.name
    yield (
        Finding(
            "load_high",
            "",
            MEDIUM,
            message,
            held=held.held,
            of=held.of,
            evidence={**evidence, **_where(latest)},
        ),
        [],
    )


def dominant(processes: Sequence[Proc], share: float) -> Proc | None:
    """The process holding at least ``share`` of the listed processes' memory."""
    total = sum(p.rss_kb for p in processes)
    top = max(processes, key=lambda p: p.rss_kb, default=None)
    if top is None or len(processes) < 2 or total <= 0:
        return None
    return top if top.rss_kb / total >= share else None


def memory_rule(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[tuple[Finding, list[AnalyserProposal]]]:
    latest = ctx.latest
    assert latest is not None
    held = n_of_m(
        ctx.samples,
        lambda s: (s.memory_percent or 0.0) >= cfg.memory_percent,
        cfg,
    )
    if not held.sustained:
        return
    hog = dominant(latest.processes, cfg.dominant_process_share)
    message = (
        f"memory at {latest.memory_percent:.0f}% "
        f"(>= {cfg.memory_percent:g}% in {held.text()})"
    )
    evidence: dict[str, object] = {"kind": "memory_pressure", **_where(latest)}
    proposals: list[AnalyserProposal] = []
    if hog is not None:
        message += f"; {hog.name} (pid {hog.pid}) holds {hog.rss_kb // 1024} MiB"
        evidence.update(process=hog.name, pid=hog.pid, rss_kb=hog.rss_kb)
        if "kill_process" in ctx.allowed:
            proposals.append(
                AnalyserProposal(
                    "kill_process",
                    {"process": hog.name},
                    message,
                    priority=1,
                    server=None,
                    risk=HIGH,
                    evidence=evidence,
                )
            )
    subject = hog.name if hog else ""
    yield (
        Finding(
            "memory_pressure",
            subject,
            MEDIUM,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
        ),
        proposals,
    )


def crawl_outcomes(
    ctx: AnalysisContext,
) -> list[tuple[datetime, CrawlFailure | None]]:
    """Every crawl, oldest first: a sample is a success, a failure a failure."""
    outcomes: list[tuple[datetime, CrawlFailure | None]] = [
        (s.at, None) for s in ctx.samples
    ]
    outcomes += [(f.at, f) for f in ctx.failures]
    return sorted(outcomes, key=lambda o: o[0])


def unreachable_rule(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> tuple[Finding | None, bool]:
    """The unreachable finding when N of the last M crawls failed; and whether
    the latest crawl failed (the readings are then stale)."""
    window = crawl_outcomes(ctx)[-cfg.of_last :]
    latest = window[-1][1] if window else None
    if latest is None:
        return None, False
    failed = sum(1 for _, f in window if f is not None)
    if failed < cfg.need_readings:
        return None, True
    message = (
        f"host unreachable: {failed} of the last {len(window)} crawls failed "
        f"(latest: {latest.cause})"
    )
    evidence = {
        "kind": "unreachable",
        "cause": latest.cause,
        "at": latest.at.isoformat(),
    }
    return Finding(
        "unreachable", "", HIGH, message, held=failed, of=len(window), evidence=evidence
    ), True


READING_RULES: tuple[Rule, ...] = (disk_rule, unit_rule, load_rule, memory_rule)


def evaluate(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> tuple[list[Finding], list[AnalyserProposal]]:
    """Findings and proposals for ``ctx``; stale readings yield no proposal."""
    unreachable, stale = unreachable_rule(ctx, cfg)
    if unreachable is not None:
        return [unreachable], []
    if stale or ctx.latest is None:
        return [], []
    findings: list[Finding] = []
    proposals: dict[tuple[str, tuple[tuple[str, str], ...]], AnalyserProposal] = {}
    for rule in READING_RULES:
        for finding, made in rule(ctx, cfg):
            findings.append(finding)
            for p in made:
                key = (
                    p.action,
                    tuple(sorted((k, str(v)) for k, v in p.params.items())),
                )
                proposals.setdefault(key, p)
    return findings, list(proposals.values())


def rule_risk(
    action: str, values: Mapping[str, object], findings: Sequence[Finding]
) -> RiskLevel | None:
    """The rule engine's view of one recommendation: the action's floor and the
    risk of every finding about what the parameters name."""
    risks = [ACTION_FLOOR[action]] if action in ACTION_FLOOR else []
    named = {unit_stem(str(v)) for v in values.values()}
    risks += [f.risk for f in findings if f.subject and unit_stem(f.subject) in named]
    if action in CLEANUPS:
        risks += [f.risk for f in findings if f.kind == "disk_full"]
    return max(risks, default=None)


def flapping_units(findings: Sequence[Finding]) -> frozenset[str]:
    return frozenset(
        unit_stem(f.subject) for f in findings if f.kind == "unit_flapping"
    )


def _summary(findings: Sequence[Finding], ctx: AnalysisContext, stale: bool) -> str:
    if findings:
        more = f" (+{len(findings) - 2} more)" if len(findings) > 2 else ""
        return "; ".join(f.message for f in findings[:2]) + more
    if not ctx.samples and not ctx.failures:
        return "no readings yet"
    if stale:
        return "the latest crawl failed; waiting to see whether it keeps failing"
    return "no problem found in the latest readings"


def _confidence(
    findings: Sequence[Finding], ctx: AnalysisContext, cfg: AnalysisSection
) -> float:
    """How much of the window backs the conclusion."""
    if findings:
        return round(min(f.held / f.of if f.of else 1.0 for f in findings), 2)
    return round(min(1.0, len(ctx.samples[-cfg.of_last :]) / cfg.of_last), 2)


class RuleEngine:
    """The default analyser: needs no key, never leaves the process."""

    name = ANALYZER

    def __init__(self, cfg: AnalysisSection) -> None:
        self.cfg = cfg

    def analyse(self, context: AnalysisContext) -> AnalysisResult:
        findings, proposals = evaluate(context, self.cfg)
        _, stale = unreachable_rule(context, self.cfg)
        reasoning = "\n".join(f.message for f in findings)
        return AnalysisResult(
            analyzer=ANALYZER,
            summary=_summary(findings, context, stale),
            reasoning=reasoning or _summary(findings, context, stale),
            risk=max((f.risk for f in findings), default=LOW),
            confidence=_confidence(findings, context, self.cfg),
            proposals=tuple(proposals),
            findings=tuple(findings),
        )
