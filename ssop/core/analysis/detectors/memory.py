"""Memory pressure: too little memory available, naming the largest process.

Available memory below ``analysis.mem_available_pct`` of the total in N of
the last M readings is a finding of medium risk, high when swap use also
rose over the window. It names the largest process (resident memory) and
proposes ``kill_process`` of it at high risk, so a human decides, never
automation by default; protected processes and ssop's own are not proposed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ssop.core.analysis.base import AnalysisContext, Finding, Sample
from ssop.core.analysis.detectors.spared import spared
from ssop.core.analysis.detectors.window import (
    HIGH,
    MEDIUM,
    Detection,
    latest,
    n_of_m,
    propose,
    where,
    withheld,
)
from ssop.core.config.schema import AnalysisSection

# Percentage points of swap use over the window that count as rising.
SWAP_RISE = 1.0


def swap_rising(window: Sequence[Sample]) -> bool:
    swaps = [s.swap_percent for s in window if s.swap_percent is not None]
    return len(swaps) >= 2 and swaps[-1] - swaps[0] >= SWAP_RISE


def _low(cfg: AnalysisSection) -> Callable[[Sample], bool]:
    def low(s: Sample) -> bool:
        available = s.memory_available
        return available is not None and available < cfg.mem_available_pct

    return low


def detect_memory_pressure(
    ctx: AnalysisContext, cfg: AnalysisSection
) -> Iterator[Detection]:
    now = latest(ctx)
    held = n_of_m(ctx.samples, _low(cfg), cfg)
    if not held.sustained:
        return
    rising = swap_rising(ctx.samples[-cfg.of_last :])
    message = (
        f"available memory {now.memory_available or 0.0:.0f}% "
        f"(< {cfg.mem_available_pct:g}% in {held.text()})"
        + (f", swap rising to {now.swap_percent or 0.0:.0f}%" if rising else "")
    )
    evidence: dict[str, object] = {"kind": "memory_pressure", "swap_rising": rising}
    largest = max(now.processes, key=lambda p: p.rss_kb, default=None)
    if largest is not None:
        message += (
            f"; largest process {largest.name} (pid {largest.pid}) "
            f"holds {largest.rss_kb // 1024} MiB"
        )
        evidence.update(process=largest.name, pid=largest.pid, rss_kb=largest.rss_kb)
    evidence.update(where(now))
    finding = Finding(
        "memory_pressure",
        largest.name if largest else "",
        HIGH if rising else MEDIUM,
        message,
        held=held.held,
        of=held.of,
        evidence=evidence,
        remedy_risk=HIGH,
    )
    why_not = "no process listed" if largest is None else spared(largest.name, ctx)
    if largest is None or why_not is not None:
        yield withheld(finding, why_not or "")
        return
    yield finding, propose(ctx, finding, "kill_process", {"process": largest.name})
