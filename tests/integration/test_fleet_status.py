"""``StatusService.fleet`` over stored readings, on SQLite and MariaDB."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ssop.core.accounts.permissions import Principal
from ssop.core.errors import ExitCode, NotFound
from ssop.core.models import ApprovalRequest
from ssop.core.reports.status import ServerState
from ssop.core.services import Services
from tests.fakes.clock import FakeClock
from tests.support import report_rows as rows
from tests.support.auth import admin

DELAY = 60  # app.crawler_delay's default: stale after 120 s


@pytest.fixture
def who(services: Services) -> Principal:
    return admin(services, password="admin-password-1")


def at(clock: FakeClock, seconds_ago: float) -> datetime:
    return clock.now() - timedelta(seconds=seconds_ago)


def pending(name: str, now: datetime) -> ApprovalRequest:
    return ApprovalRequest(
        expires_at=now + timedelta(hours=1),
        status="pending_approval",
        trigger="policy",
        server_name=name,
        action_name="restart_service",
        params_key="k-" + name,
        spec_hash="h",
        effective_risk="medium",
        requested_by="policy",
    )


def seed_fleet(services: Services, clock: FakeClock) -> None:
    with services.sessions() as s, s.begin():
        for name in ("calm", "hot", "full", "down", "quiet", "new", "off"):
            rows.server(s, name, "web" if name in ("calm", "hot") else "db")
        rows.server(s, "gone", enabled=False)
        rows.sample(s, "calm", at(clock, 200))  # an older sample first
        rows.sample(s, "calm", at(clock, 30), cpu_percent=12.5)
        rows.sample(s, "hot", at(clock, 30), cpu_percent=95.0, failed_unit_count=1)
        rows.sample(s, "full", at(clock, 30), disk_max_percent=99.0)
        rows.sample(s, "down", at(clock, 90))
        rows.crawl_error(s, "down", at(clock, 30), cause="refused")
        rows.sample(s, "quiet", at(clock, 3 * DELAY))
        rows.sample(s, "off", at(clock, 30))
        rows.analysis(s, "off", at(clock, 20), "medium")
        rows.analysis(s, "calm", at(clock, 20), "low")
        s.add(pending("calm", clock.now()))
        s.add(pending("hot", clock.now()))


def test_each_server_gets_its_state(
    services: Services, clock: FakeClock, who: Principal
) -> None:
    seed_fleet(services, clock)

    report = services.status.fleet(who)

    states = {r.server: r.state for r in report.rows}
    assert states == {
        "calm": ServerState.OK,
        "down": ServerState.UNREACHABLE,
        "full": ServerState.CRITICAL,
        "hot": ServerState.WARNING,
        "new": ServerState.STALE,
        "off": ServerState.WARNING,
        "quiet": ServerState.STALE,
    }
    calm = report.rows[0]
    assert (calm.cpu_percent, calm.last_risk, calm.open_approvals) == (12.5, "low", 1)
    assert calm.last_crawl_age_s == 30.0
    assert calm.tags == ("web",)
    hot = next(r for r in report.rows if r.server == "hot")
    assert hot.reasons == ("cpu 95%", "1 failed unit(s)")
    assert report.exit_code is ExitCode.CONNECTION
    assert report.counts() == {
        "ok": 1,
        "warning": 2,
        "critical": 1,
        "unreachable": 1,
        "stale": 2,
    }


def test_tag_and_state_filters(
    services: Services, clock: FakeClock, who: Principal
) -> None:
    seed_fleet(services, clock)

    web = services.status.fleet(who, "web")
    warned = services.status.fleet(who, states=frozenset({ServerState.WARNING}))

    assert [r.server for r in web.rows] == ["calm", "hot"]
    assert web.exit_code is ExitCode.ERROR
    assert [r.server for r in warned.rows] == ["hot", "off"]
    with pytest.raises(NotFound):
        services.status.fleet(who, "nope")


def test_a_calm_fleet_exits_zero_and_goes_stale_without_crawls(
    services: Services, clock: FakeClock, who: Principal
) -> None:
    with services.sessions() as s, s.begin():
        rows.server(s, "calm")
        rows.sample(s, "calm", at(clock, 10))

    assert services.status.fleet(who).exit_code is ExitCode.OK
    clock.advance(2 * DELAY)
    later = services.status.fleet(who)
    assert later.rows[0].state is ServerState.STALE
    assert later.rows[0].reasons == ("no crawl for 2m",)
    assert later.exit_code is ExitCode.ERROR
