"""The ai report: analyses by analyser and risk (and over time), what the
guard rails and policy made of the recommendations, model calls and tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from ssop.core.reports.tables import ReportTable, Value, mean, n, series, table
from ssop.core.reports.window import Window
from ssop.core.store.ai_report_repo import AiReportRepo
from ssop.core.store.report_scope import Scope, bucket_name

ANALYZERS = ("rules", "llm")
RISKS = ("low", "medium", "high")
ANALYSES = (
    "analyzer",
    "risk",
    "analyses",
    "mean_confidence",
    "disagreements",
    "model_calls",
    "tokens_prompt",
    "tokens_completion",
)
SERIES = ("bucket", *(f"{a}_{r}" for a in ANALYZERS for r in RISKS))
VERDICTS = ("stage", "outcome", "reason", "count")


def ai(s: Session, scope: Scope, window: Window) -> tuple[ReportTable, ...]:
    repo = AiReportRepo(s)
    rows = repo.analyses(scope, window.bucket)
    verdicts: list[tuple[Value, ...]] = [
        (str(stage), str(outcome), str(reason), n(count))
        for stage, outcome, reason, count in repo.verdicts(scope)
    ]
    return (
        table("analyses", ANALYSES, _totals(rows, window)),
        series("series", SERIES, _series(rows, window)),
        table("recommendations", VERDICTS, verdicts),
    )


def _totals(rows: Sequence[Any], window: Window) -> list[tuple[Value, ...]]:
    """Per (analyzer, risk): the sums of its buckets."""
    sums: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        _, keys = bucket_name(row, window.bucket)
        analyzer, risk, *values = row[keys:]
        acc = sums.setdefault((str(analyzer), str(risk)), [0.0] * 6)
        for i, v in enumerate(values):
            acc[i] += float(v or 0)
    out: list[tuple[Value, ...]] = []
    for (analyzer, risk), (count, conf, *rest) in sorted(sums.items()):
        average = mean(conf / count, 3) if count else None
        out.append((analyzer, risk, int(count), average, *(int(v) for v in rest)))
    return out


def _series(rows: Sequence[Any], window: Window) -> list[tuple[Value, ...]]:
    columns = SERIES[1:]
    out = {b: [0] * len(columns) for b in window.buckets()}
    for row in rows:
        label, keys = bucket_name(row, window.bucket)
        analyzer, risk, count = row[keys : keys + 3]
        name = f"{analyzer}_{risk}"
        if name in columns:
            out[label][columns.index(name)] += n(count)
    return [(b, *counts) for b, counts in out.items()]
