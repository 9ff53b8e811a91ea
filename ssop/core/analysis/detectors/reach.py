"""Unreachable hosts: N of the last M crawls failed.

It runs before the reading detectors: when the latest crawl failed the
readings are stale, and nothing is proposed from them.
"""

from __future__ import annotations

from datetime import datetime

from ssop.core.analysis.base import AnalysisContext, CrawlFailure, Finding
from ssop.core.analysis.detectors.window import HIGH
from ssop.core.config.schema import AnalysisSection


def crawl_outcomes(
    ctx: AnalysisContext,
) -> list[tuple[datetime, CrawlFailure | None]]:
    """Every crawl, oldest first: a sample is a success, a failure a failure."""
    outcomes: list[tuple[datetime, CrawlFailure | None]] = [
        (s.at, None) for s in ctx.samples
    ]
    outcomes += [(f.at, f) for f in ctx.failures]
    return sorted(outcomes, key=lambda o: o[0])


def detect_unreachable(
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
