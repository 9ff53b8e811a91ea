"""Read one server's analysis context from the store, as plain values.

Stored JSON is not trusted to have the expected shape: an entry that does
not fit is skipped rather than allowed to fail the analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ssop.core.actions.readings import AuthFailures
from ssop.core.actions.stored import spec_of
from ssop.core.analysis.base import (
    AllowedAction,
    AnalysisBrief,
    AnalysisContext,
    CrawlFailure,
    Disk,
    ExecutionBrief,
    Proc,
    Sample,
)
from ssop.core.config.schema import AnalysisSection
from ssop.core.errors import InvalidInput
from ssop.core.models import (
    AnalysisRecord,
    CrawlError,
    Execution,
    MetricSample,
    RecommendationRecord,
    Server,
)
from ssop.core.store.action_repo import AssignmentRepo
from ssop.core.store.analysis_repo import AnalysisRepo
from ssop.core.store.history_repo import HistoryRepo

log = logging.getLogger(__name__)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _disks(raw: Any) -> tuple[Disk, ...]:
    out = []
    for d in raw if isinstance(raw, list) else []:
        if isinstance(d, dict) and isinstance(d.get("mount"), str):
            out.append(Disk(d["mount"], _float(d.get("percent")) or 0.0))
    return tuple(out)


def _procs(raw: Any) -> tuple[Proc, ...]:
    out = []
    for p in raw if isinstance(raw, list) else []:
        if isinstance(p, dict) and isinstance(p.get("name"), str):
            pid = p.get("pid")
            rss = p.get("rss_kb")
            out.append(
                Proc(
                    pid if isinstance(pid, int) else 0,
                    p["name"],
                    _float(p.get("cpu_percent")),
                    rss if isinstance(rss, int) else 0,
                )
            )
    return tuple(out)


def _auth(raw: Any) -> tuple[AuthFailures, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(
        AuthFailures(f["address"], f["count"])
        for f in raw
        if isinstance(f, dict)
        and isinstance(f.get("address"), str)
        and isinstance(f.get("count"), int)
    )


def sample_of(row: MetricSample) -> Sample:
    units = row.failed_units if isinstance(row.failed_units, list) else []
    return Sample(
        id=row.id,
        at=row.at,
        cpu_percent=row.cpu_percent,
        memory_percent=row.memory_percent,
        swap_percent=row.swap_percent,
        load1=row.load1,
        load5=row.load5,
        cpu_count=row.cpu_count,
        disks=_disks(row.disks),
        failed_units=tuple(u for u in units if isinstance(u, str)),
        processes=_procs(row.top_processes),
        auth_failures=_auth(row.auth_failures),
    )


def failure_of(row: CrawlError) -> CrawlFailure:
    return CrawlFailure(row.at, row.cause, row.message)


def execution_of(row: Execution) -> ExecutionBrief:
    params = row.params if isinstance(row.params, dict) else {}
    return ExecutionBrief(
        row.started_at,
        row.action_name,
        {str(k): str(v) for k, v in params.items()},
        row.status,
        row.exit_code,
    )


def brief_of(
    row: AnalysisRecord, recs: Mapping[int, list[RecommendationRecord]]
) -> AnalysisBrief:
    accepted = tuple(
        r.action_name for r in recs.get(row.id or 0, []) if r.status == "accepted"
    )
    return AnalysisBrief(row.at, row.analyzer, row.risk, row.summary, accepted)


def allowed_actions(s: Session, server_id: int) -> dict[str, AllowedAction]:
    """The enabled actions assigned to the server; a broken custom spec is skipped."""
    out: dict[str, AllowedAction] = {}
    for action, link in AssignmentRepo(s).assigned(server_id):
        if not action.enabled:
            continue
        try:
            out[action.name] = AllowedAction(spec_of(action), link.automatic)
        except InvalidInput as e:
            log.warning(
                "action %s: stored spec is invalid, skipped (%s)", action.name, e
            )
    return out


def load_context(
    s: Session, server: Server, now: datetime, cfg: AnalysisSection
) -> AnalysisContext:
    """Everything the analysers may look at for one server."""
    server_name = server.name
    since = now - timedelta(seconds=cfg.flapping_window_s)
    history = HistoryRepo(s)
    samples = history.samples(server_name, since, cfg.of_last)
    oldest = samples[0].at if samples else since
    failures = history.crawl_errors(server_name, min(oldest, since))
    executions = history.executions(server_name, since)
    return AnalysisContext(
        server=server_name,
        now=now,
        samples=tuple(sample_of(r) for r in samples),
        failures=tuple(failure_of(r) for r in failures),
        executions=tuple(execution_of(r) for r in executions),
        analyses=_recent_analyses(s, server_name, cfg.history_analyses),
        allowed=allowed_actions(s, server.id or 0),
    )


def _recent_analyses(
    s: Session, server_name: str, limit: int
) -> tuple[AnalysisBrief, ...]:
    if limit <= 0:
        return ()
    repo = AnalysisRepo(s)
    rows = repo.recent(server_name, limit)
    recs: dict[int, list[RecommendationRecord]] = {}
    for rec in repo.recommendations([r.id or 0 for r in rows]):
        recs.setdefault(rec.analysis_id, []).append(rec)
    return tuple(brief_of(r, recs) for r in reversed(rows))
