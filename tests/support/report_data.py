"""The known data set the report tests assert exact figures on.

Times count back from ``NOW`` (the FakeClock's start, 2026-01-15 12:00 UTC).
Three enabled servers (web1 and web2 tagged web, db1 tagged db) and a
disabled one (off1); most rows fall in the last 24 hours, a few only in
the last 7 days (db1's older history), one before that.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from ssop.core.models import (
    ApprovalRequest,
    Execution,
    PolicyDecision,
    RecommendationRecord,
    Verification,
)
from ssop.core.store import day_counts
from tests.support import report_rows as rows

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def seed(s: Session) -> None:
    for name, tag in (("web1", "web"), ("web2", "web"), ("db1", "db")):
        rows.server(s, name, tag)
    rows.server(s, "off1", "db", enabled=False)
    _samples(s)
    _executions(s)
    _analyses(s)
    _approvals(s)
    _verifications(s)
    # loaded in bulk, as a restored history would be: counted as migration 0012 does
    s.flush()
    day_counts.fill_all(s)


def _samples(s: Session) -> None:
    for name, at, cpu, mem, disk, load in (
        ("web1", ago(hours=1), 10.0, 40.0, 50.0, 0.5),
        ("web1", ago(hours=2), 30.0, 60.0, 70.0, 1.5),
        ("web1", ago(days=10), 99.0, 99.0, 99.0, 9.0),
        ("web2", ago(hours=3), 50.0, 20.0, 91.0, 2.0),
        ("db1", ago(days=3), 5.0, 10.0, 30.0, 0.25),
    ):
        rows.sample(
            s,
            name,
            at,
            cpu_percent=cpu,
            memory_percent=mem,
            disk_max_percent=disk,
            load1=load,
        )
    rows.crawl_error(s, "web2", ago(minutes=90), "timeout")
    rows.crawl_error(s, "db1", ago(minutes=30), "refused")
    rows.crawl_error(s, "db1", ago(days=5), "refused")


def run(
    server: str,
    action: str,
    status: str,
    trigger: str,
    duration: float | None,
    at: datetime,
) -> dict[str, Any]:
    return {
        "server_name": server,
        "action_name": action,
        "action_type": "command_execute",
        "actor": "policy",
        "trigger": trigger,
        "status": status,
        "duration_s": duration,
        "started_at": at,
        "params": {},
    }


def _executions(s: Session) -> None:
    runs = [
        run("web1", "restart_service", "succeeded", "policy", 2.0, ago(hours=1)),
        run("web1", "restart_service", "succeeded", "manual", 4.0, ago(minutes=90)),
        run("web1", "restart_service", "failed", "approval", 10.0, ago(hours=2)),
        run("web2", "cleanup_temp_files", "succeeded", "policy", 1.0, ago(hours=3)),
        run("web2", "cleanup_temp_files", "timed_out", "policy", 30.0, ago(hours=5)),
        run("db1", "restart_service", "failed", "manual", 6.0, ago(days=2)),
        run("db1", "get_uptime", "running", "manual", None, ago(minutes=10)),
    ]
    runs += [
        run("db1", "get_disk_usage", "succeeded", "policy", float(i), ago(hours=4))
        for i in range(1, 21)
    ]
    s.execute(insert(Execution), runs)


def _analyses(s: Session) -> None:
    rows.analysis(s, "web1", ago(hours=1), "low", confidence=0.5)
    a2 = rows.analysis(
        s,
        "web1",
        ago(hours=2),
        "medium",
        analyzer="llm",
        confidence=0.8,
        model_risk="high",
        risk_disagreement=True,
        tokens_prompt=100,
        tokens_completion=20,
    )
    a3 = rows.analysis(
        s,
        "web2",
        ago(hours=3),
        "high",
        analyzer="llm",
        confidence=0.9,
        tokens_prompt=200,
        tokens_completion=30,
    )
    a4 = rows.analysis(
        s, "db1", ago(minutes=30), "high", confidence=1.0, llm_error="llm_timeout"
    )
    rows.analysis(s, "db1", ago(days=3), "low", confidence=0.4)
    for analysis_id, at, status, reason in (
        (a2, ago(hours=2), "accepted", ""),
        (a3, ago(hours=3), "rejected", "ungrounded"),
        (a3, ago(hours=3), "rejected", "ungrounded"),
        (a4, ago(minutes=30), "accepted", ""),
    ):
        s.add(_advice(analysis_id, at, status, reason))
    for outcome, gate, at in (
        ("executed", "auto", ago(hours=1)),
        ("blocked", "budget", ago(hours=2)),
        ("queued", "risk", ago(hours=3)),
        ("blocked", "budget", ago(days=3)),
    ):
        s.add(_decision(outcome, gate, at))


def _advice(analysis_id: int, at: datetime, status: str, reason: str) -> Any:
    return RecommendationRecord(
        analysis_id=analysis_id,
        server_name="web1",
        at=at,
        source="rules",
        action_name="restart_service",
        effective_risk="medium",
        status=status,
        reject_reason=reason,
        reject_code=reason,
    )


def _decision(outcome: str, gate: str, at: datetime) -> PolicyDecision:
    return PolicyDecision(
        at=at,
        server_name="web1",
        action_name="restart_service",
        params_key="k",
        outcome=outcome,
        gate=gate,
    )


def _approvals(s: Session) -> None:
    for i, (server, status, trigger, by, at) in enumerate(
        (
            ("web1", "pending_approval", "policy", None, ago(hours=1)),
            ("web1", "rejected", "policy", "sysadmin", ago(hours=2)),
            ("web2", "succeeded", "policy", "olga", ago(hours=3)),
            ("db1", "expired", "manual", None, ago(hours=4)),
            ("db1", "claimed", "auto", None, ago(hours=1)),
        )
    ):
        s.add(
            ApprovalRequest(
                created_at=at,
                expires_at=at + timedelta(hours=2),
                status=status,
                trigger=trigger,
                server_name=server,
                action_name="restart_service",
                params_key=f"k{i}",
                spec_hash="h",
                effective_risk="medium",
                requested_by="policy",
                decided_by=by,
            )
        )


def _verifications(s: Session) -> None:
    for i, (server, action, cleared, at) in enumerate(
        (
            ("web1", "restart_service", True, ago(hours=1)),
            ("web1", "restart_service", False, ago(hours=2)),
            ("web2", "cleanup_temp_files", True, ago(hours=3)),
            ("db1", "restart_service", None, ago(minutes=30)),
        )
    ):
        s.add(
            Verification(
                execution_id=i + 1,
                server_name=server,
                action_name=action,
                created_at=at,
                due_at=at + timedelta(minutes=5),
                cleared=cleared,
            )
        )
