"""The health rows about servers and daemon steps, from plain values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ssop.core.errors import ExitCode
from ssop.core.ops.checks import CheckState
from ssop.core.ops.daemon_registry import DaemonInfo, DaemonState
from ssop.core.ops.watch import ServerSeen, server_checks, step_checks

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def daemon(**info: Any) -> DaemonInfo:
    return DaemonInfo(
        id="web1:1:aa",
        hostname="web1",
        pid=1,
        started_at=ago(600),
        last_seen_at=ago(5),
        last_crawl_at=None,
        last_analysis_at=None,
        status=DaemonState.RUNNING,
        errors=0,
        info=info,
    )


def test_a_server_never_read_is_stale_two_crawl_periods_after_being_added() -> None:
    new, old = ServerSeen("new1", ago(100)), ServerSeen("old1", ago(121))
    rows = server_checks([new, old], NOW, 60, crawling=True)
    assert [(r.name, r.state, r.exit_code) for r in rows] == [
        ("server old1", CheckState.FAILED, ExitCode.ERROR),
        ("servers", CheckState.FAILED, ExitCode.ERROR),
    ]
    assert rows[0].detail == (
        "stale: no reading since it was added 121s (limit 120s, two crawl periods)"
    )


def test_the_daemons_own_stall_limit_wins_and_odd_heartbeats_are_ignored() -> None:
    steps = {
        "crawl": {"interval_s": 60, "running_since": ago(70).isoformat()},
        "analyse": {"interval_s": 300, "running_since": "yesterday"},
        "prune": {"interval_s": 86400},
    }
    assert step_checks(daemon(steps=steps), NOW, 60.0)[0].detail == (
        "stalled: step crawl running for 70 s, interval 60 s (stalled after 60 s)"
    )
    assert step_checks(daemon(steps=steps, stall_after_s=90), NOW, 60.0) == []
    assert step_checks(daemon(), NOW, 60.0) == []
