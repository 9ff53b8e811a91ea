"""Sustained load: a finding only (the runaway detector names a process to stop).

Load above ``analysis.load_per_core`` per CPU core in N of the last M
readings is reported at medium risk, naming the busiest process seen.
"""

from __future__ import annotations

from collections.abc import Iterator

from ssop.core.analysis.base import AnalysisContext, Finding, Sample
from ssop.core.analysis.detectors.window import (
    MEDIUM,
    Detection,
    latest,
    n_of_m,
    where,
)
from ssop.core.config.schema import AnalysisSection


def _load_high(sample: Sample, cfg: AnalysisSection) -> bool:
    if sample.load1 is None or not sample.cpu_count:
        return False
    return sample.load1 > sample.cpu_count * cfg.load_per_core


def detect_load(ctx: AnalysisContext, cfg: AnalysisSection) -> Iterator[Detection]:
    now = latest(ctx)
    held = n_of_m(ctx.samples, lambda s: _load_high(s, cfg), cfg)
    if not held.sustained:
        return
    message = (
        f"load {now.load1:.2f} on {now.cpu_count} cores "
        f"(> {cfg.load_per_core:g} per core in {held.text()})"
    )
    busiest = max(now.processes, key=lambda p: p.cpu_percent or 0.0, default=None)
    evidence: dict[str, object] = {"kind": "load_high", "load1": now.load1}
    if busiest is not None:
        evidence["busiest_process"] = busiest.name
    evidence.update(where(now))
    yield (
        Finding(
            "load_high",
            "",
            MEDIUM,
            message,
            held=held.held,
            of=held.of,
            evidence=evidence,
        ),
        [],
    )
