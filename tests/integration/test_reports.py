"""Every report over the known data set, exact figures, on SQLite and MariaDB."""

from __future__ import annotations

import pytest

from ssop.core.accounts.permissions import Principal
from ssop.core.errors import InvalidInput, NotFound
from ssop.core.reports.tables import Report
from ssop.core.services import Services
from tests.support import report_data
from tests.support.auth import admin
from tests.support.report_data import ago


@pytest.fixture
def who(services: Services) -> Principal:
    with services.sessions() as s, s.begin():
        report_data.seed(s)
    return admin(services, password="admin-password-1")


def rows(report: Report, name: str) -> list[tuple[object, ...]]:
    return list(report.table(name).rows)


def summary_of(report: Report) -> dict[object, object]:
    return {r[0]: r[1] for r in report.table("summary").rows}


def test_overview_last_24_hours(services: Services, who: Principal) -> None:
    report = services.reports.build(who, "overview")

    assert summary_of(report) == {
        "servers_watched": 3,
        "crawls": 5,
        "crawl_failures": 2,
        "executions": 26,
        "executions_succeeded": 23,
        "executions_failed": 1,
        "executions_timed_out": 1,
        "executions_manual": 2,
        "executions_automatic": 23,
        "executions_approved": 1,
        "success_rate": 92.0,
        "analyses": 4,
        "analyses_low": 1,
        "analyses_medium": 1,
        "analyses_high": 2,
        "approvals_pending": 1,
        "approvals_approved": 1,
        "approvals_rejected": 1,
        "approvals_expired": 1,
        "verifications": 3,
        "verification_rate": 66.7,
    }
    runs = rows(report, "executions")
    assert len(runs) == 24 and runs[0][0] == "2026-01-14 12:00"
    busy = {r[0]: r[1:] for r in runs if r[1]}
    assert busy == {
        "2026-01-15 07:00": (1, 0, 0, 1),
        "2026-01-15 08:00": (20, 20, 0, 0),
        "2026-01-15 09:00": (1, 1, 0, 0),
        "2026-01-15 10:00": (2, 1, 1, 0),
        "2026-01-15 11:00": (2, 1, 0, 0),
    }
    risks = {r[0]: r[1:] for r in rows(report, "analyses") if r[1]}
    assert risks == {
        "2026-01-15 09:00": (1, 0, 0, 1),
        "2026-01-15 10:00": (1, 0, 1, 0),
        "2026-01-15 11:00": (2, 1, 0, 1),
    }
    assert report.notes == ()


def test_overview_for_one_server_and_a_tag(services: Services, who: Principal) -> None:
    one = services.reports.build(who, "overview", servers=["web1"])
    web = services.reports.build(who, "overview", tag="web", window="7d")

    summary = summary_of(one)
    assert (summary["servers_watched"], summary["crawls"]) == (1, 2)
    assert (summary["executions"], summary["analyses"]) == (3, 2)
    assert web.servers == ("web1", "web2")
    assert summary_of(web)["crawls"] == 4
    assert len(rows(web, "executions")) == 8  # daily, 7 days from mid-day


def test_actions(services: Services, who: Principal) -> None:
    report = services.reports.build(who, "actions")

    assert rows(report, "actions") == [
        ("cleanup_temp_files", 2, 1, 0, 1, 50.0, 15.5, 30.0, 2, 0, 0, 1, 100.0),
        ("get_disk_usage", 20, 20, 0, 0, 100.0, 10.5, 19.0, 20, 0, 0, 0, None),
        ("get_uptime", 1, 0, 0, 0, None, None, None, 0, 1, 0, 0, None),
        ("restart_service", 3, 2, 1, 0, 66.7, 5.333, 10.0, 1, 1, 1, 2, 50.0),
    ]


def test_servers_over_seven_days(services: Services, who: Principal) -> None:
    report = services.reports.build(who, "servers", window="7d")

    no_readings = (None,) * 7
    assert rows(report, "servers") == [
        ("db1", ago(days=3), 3, 2, 33.3, 5.0, 5.0, 10.0, 10.0, 30.0, 30.0)
        + (0.25, 22, 1, 0, 1, 0),
        ("off1", None, 0, 0, None, *no_readings, 0, 0, 0, 0, 0),
        ("web1", ago(hours=1), 2, 0, 100.0, 20.0, 30.0, 50.0, 60.0, 60.0, 70.0)
        + (1.0, 3, 1, 1, 0, 1),
        ("web2", ago(hours=3), 2, 1, 50.0, 50.0, 50.0, 20.0, 20.0, 91.0, 91.0)
        + (2.0, 2, 0, 0, 1, 0),
    ]


def test_ai(services: Services, who: Principal) -> None:
    report = services.reports.build(who, "ai")

    assert rows(report, "analyses") == [
        ("llm", "high", 1, 0.9, 0, 1, 200, 30),
        ("llm", "medium", 1, 0.8, 1, 1, 100, 20),
        ("rules", "high", 1, 1.0, 0, 1, 0, 0),
        ("rules", "low", 1, 0.5, 0, 0, 0, 0),
    ]
    assert rows(report, "recommendations") == [
        ("guard", "accepted", "", 2),
        ("guard", "rejected", "ungrounded", 2),
        ("policy", "blocked", "budget", 1),
        ("policy", "executed", "auto", 1),
        ("policy", "queued", "risk", 1),
    ]
    busy = {r[0]: r[1:] for r in rows(report, "series") if any(r[1:])}
    assert busy == {
        "2026-01-15 09:00": (0, 0, 0, 0, 0, 1),
        "2026-01-15 10:00": (0, 0, 0, 0, 1, 0),
        "2026-01-15 11:00": (1, 0, 1, 0, 0, 0),
    }


def test_errors_over_seven_days(services: Services, who: Principal) -> None:
    report = services.reports.build(who, "errors", window="7d")

    assert rows(report, "errors") == [
        ("crawl", "refused", "", "db1", 2, ago(days=5), ago(minutes=30)),
        ("crawl", "timeout", "", "web2", 1, ago(minutes=90), ago(minutes=90)),
        ("execution", "failed", "restart_service", "db1", 1, ago(days=2), ago(days=2)),
        ("execution", "failed", "restart_service", "web1", 1)
        + (ago(hours=2), ago(hours=2)),
        ("execution", "timed_out", "cleanup_temp_files", "web2", 1)
        + (ago(hours=5), ago(hours=5)),
    ]


def test_an_empty_window_gives_zeros_and_a_retention_note(
    services: Services, who: Principal
) -> None:
    report = services.reports.build(
        who, "overview", since="2025-01-01", until="2025-01-02T00:00:00+01:00"
    )

    summary = summary_of(report)
    assert summary["executions"] == 0 and summary["crawls"] == 0
    assert summary["success_rate"] is None
    assert report.window.bucket == "hour" and len(rows(report, "executions")) == 23
    assert "before the retention (30 days" in report.notes[0]
    for kind in ("actions", "servers", "ai", "errors"):
        built = services.reports.build(who, kind, since="2025-01-01")
        assert built.tables  # no error, whatever is empty


@pytest.mark.parametrize(
    ("kwargs", "error", "text"),
    [
        ({"kind": "weekly"}, InvalidInput, "unknown report 'weekly'"),
        ({"servers": ["nope"]}, NotFound, "no server named 'nope'"),
        ({"tag": "nope"}, NotFound, "no server has tag 'nope'"),
        ({"since": "2026-01-10", "until": "2026-01-09"}, InvalidInput, "before"),
        ({"since": "yesterday"}, InvalidInput, "not an ISO 8601"),
        ({"window": "7x"}, InvalidInput, "invalid duration"),
        ({"window": "7d", "since": "2026-01-01"}, InvalidInput, "not both"),
        ({"servers": ["web1"], "tag": "web"}, InvalidInput, "not both"),
    ],
)
def test_bad_input(
    services: Services,
    who: Principal,
    kwargs: dict[str, object],
    error: type[Exception],
    text: str,
) -> None:
    args = {"kind": "overview", **kwargs}
    kind = str(args.pop("kind"))
    with pytest.raises(error, match=text):
        services.reports.build(who, kind, **args)  # type: ignore[arg-type]
