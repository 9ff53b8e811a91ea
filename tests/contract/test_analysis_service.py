"""AnalysisService on SQLite and MariaDB, with no model configured.

Readings are plain MetricSample inserts; the daemon path goes through the
in-process work queue the Services build when Redis is not configured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import select

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.analysis.views import AnalysisOutcome
from ssop.core.config.loader import LoadedConfig
from ssop.core.config.schema import RedisSection
from ssop.core.errors import ConfigError, InvalidInput, NotFound, PermissionDenied
from ssop.core.models import AnalysisRecord, AuditEvent, RecommendationRecord
from ssop.core.queue.base import CrawlNotice
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.support.analysis import (
    add_server,
    reading,
    store_crawl_error,
    store_execution,
    store_readings,
)
from tests.support.auth import add_user, admin, login

CLEANUPS = ("cleanup_temp_files", "cleanup_log_files")


@pytest.fixture
def who(services: Services) -> Principal:
    return admin(services)


def accepted(outcome: AnalysisOutcome) -> list[tuple[str, dict[str, object]]]:
    return [
        (r.action, dict(r.params))
        for r in outcome.analysis.recommendations
        if r.status == "accepted"
    ]


def count(services: Services, model: type) -> int:
    with services.sessions() as s:
        return len(list(s.exec(select(model))))


def test_nearly_full_disk_gets_the_assigned_cleanup_with_its_parameter(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1", ["cleanup_temp_files", "restart_service"])
    store_readings(services, "web1", [reading(disk=96)] * 5)
    (outcome,) = services.analysis.analyse(who, ["web1"])
    assert accepted(outcome) == [("cleanup_temp_files", {"days": "7"})]
    assert outcome.model_skipped == "no model configured"
    a = services.analysis.show(who, outcome.analysis.id or 0)
    assert (a.analyzer, a.risk, a.model, a.tokens_prompt) == (
        "rules",
        "medium",
        None,
        None,
    )
    assert a.recommendations[0].evidence["mount"] == "/"


def test_failed_unit_gets_a_restart_of_that_unit(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1", ["restart_service", *CLEANUPS])
    store_readings(services, "web1", [reading(failed=("php-fpm.service",))] * 4)
    (outcome,) = services.analysis.analyse(who, ["web1"])
    assert accepted(outcome) == [("restart_service", {"service": "php-fpm.service"})]
    rec = outcome.analysis.recommendations[0]
    assert (rec.effective_risk, rec.intrinsic_risk, rec.rule_risk) == (
        "medium",
        "medium",
        "medium",
    )


def test_healthy_host_gets_no_recommendation(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1", ["restart_service", *CLEANUPS])
    store_readings(services, "web1", [reading()] * 5)
    (outcome,) = services.analysis.analyse(who, ["web1"])
    assert outcome.analysis.recommendations == ()
    assert outcome.analysis.risk == "low" and not outcome.model_called


def test_a_protected_unit_is_recorded_as_rejected_not_accepted(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1", ["restart_service"])
    store_readings(services, "web1", [reading(failed=("sshd.service",))] * 5)
    (outcome,) = services.analysis.analyse(who, ["web1"])
    (rec,) = outcome.analysis.recommendations
    assert rec.status == "rejected" and "protected unit" in rec.reject_reason


def test_flapping_unit_is_reported_and_not_restarted(
    services: Services, who: Principal, clock: FakeClock
) -> None:
    add_server(services, "web1", ["restart_service"])
    down, up = reading(failed=("app.service",)), reading()
    now = clock.now()
    for i, r in enumerate([down, up, down, up, down, up, down, down, down]):
        store_readings(services, "web1", [r], now=now - timedelta(minutes=9 - i))
    for minutes in (8.5, 6.5, 4.5):
        at = now - timedelta(minutes=minutes)
        store_execution(services, "web1", "restart_service", {"service": "app"}, at)
    (outcome,) = services.analysis.analyse(who, ["web1"])
    assert outcome.analysis.recommendations == ()
    assert outcome.analysis.risk == "high"
    assert "flapping" in outcome.analysis.summary


def test_unreachable_host_is_high_risk_with_no_action(
    services: Services, who: Principal, clock: FakeClock
) -> None:
    add_server(services, "web1", ["restart_service"])
    store_readings(
        services,
        "web1",
        [reading(failed=("x.service",))] * 2,
        now=clock.now() - timedelta(minutes=5),
    )
    for minutes in (3, 2, 1):
        store_crawl_error(
            services, "web1", clock.now() - timedelta(minutes=minutes), "timeout"
        )
    (outcome,) = services.analysis.analyse(who, ["web1"])
    assert outcome.analysis.risk == "high"
    assert outcome.analysis.summary.startswith("host unreachable")
    assert outcome.analysis.recommendations == ()


def test_dry_run_stores_nothing_and_needs_only_reports_read(
    services: Services,
) -> None:
    add_server(services, "web1", CLEANUPS)
    store_readings(services, "web1", [reading(disk=96)] * 5)
    add_user(services, "vic", Role.VIEWER, "viewer-pw")
    viewer = login(services, "vic", "viewer-pw")
    (outcome,) = services.analysis.analyse(viewer, ["web1"], dry_run=True)
    assert not outcome.stored and outcome.analysis.id is None
    assert len(accepted(outcome)) == 2
    assert count(services, AnalysisRecord) == 0
    with pytest.raises(PermissionDenied, match="actions.run"):
        services.analysis.analyse(viewer, ["web1"])
    with pytest.raises(PermissionDenied, match="actions.run"):
        services.analysis.analyse(viewer, ["web1"], dry_run=True, force_llm=True)
    assert count(services, AnalysisRecord) == 0


def test_force_llm_without_a_model_is_a_config_error(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1")
    with pytest.raises(ConfigError, match="no model is configured"):
        services.analysis.analyse(who, ["web1"], force_llm=True)


def test_unknown_server_analyses_nothing(services: Services, who: Principal) -> None:
    add_server(services, "web1")
    with pytest.raises(NotFound):
        services.analysis.analyse(who, ["web1", "nope"])
    assert count(services, AnalysisRecord) == 0


def test_all_enabled_servers_by_default_and_the_run_is_audited(
    services: Services, who: Principal
) -> None:
    add_server(services, "a1")
    add_server(services, "b1")
    outcomes = services.analysis.analyse(who)
    assert [o.server for o in outcomes] == ["a1", "b1"]
    with services.sessions() as s:
        events = [
            e.target for e in s.exec(select(AuditEvent)) if e.event == "analysis.run"
        ]
    assert events == ["a1,b1"]


def test_list_filters_by_server_and_minimum_risk(
    services: Services, who: Principal
) -> None:
    add_server(services, "web1", CLEANUPS)
    add_server(services, "db1", CLEANUPS)
    store_readings(services, "web1", [reading(disk=96)] * 5)
    store_readings(services, "db1", [reading()] * 5)
    services.analysis.analyse(who)
    # same time: the later id first
    assert [a.server for a in services.analysis.list(who)] == ["web1", "db1"]
    assert [a.server for a in services.analysis.list(who, risk="medium")] == ["web1"]
    assert [a.server for a in services.analysis.list(who, server="db1")] == ["db1"]
    with pytest.raises(InvalidInput, match="unknown risk"):
        services.analysis.list(who, risk="severe")
    with pytest.raises(NotFound):
        services.analysis.show(who, 999_999)


def publish(services: Services, server: str, ok: bool = True) -> None:
    notice = CrawlNotice(server, None, services.clock.now(), ok, "d")
    services.queue.work_queue.publish(notice)


def test_pending_notices_are_analysed_once_per_server_then_acked(
    services: Services,
) -> None:
    add_server(services, "web1", ["restart_service"])
    add_server(services, "db1", ["restart_service"])
    store_readings(services, "web1", [reading(failed=("nginx.service",))] * 5)
    store_readings(services, "db1", [reading()] * 5)
    for server in ("web1", "web1", "db1", "gone1"):
        publish(services, server)
    report = services.analysis.analyse_pending(lambda: False, consumer="test-daemon")
    assert (report.analysed, report.failed, report.notices) == (2, 0, 4)
    assert services.queue.work_queue.pending_count() == 0
    with services.sessions() as s:
        rows = list(s.exec(select(AnalysisRecord)))
        recs = list(s.exec(select(RecommendationRecord)))
    assert sorted(r.server_name for r in rows) == ["db1", "web1"]
    assert {r.actor for r in rows} == {"daemon:test-daemon"}
    assert [(r.action_name, r.params) for r in recs] == [
        ("restart_service", {"service": "nginx.service"})
    ]
    assert "2 analysed" in report.summary()


def test_pending_notices_of_unchanged_readings_are_reused(services: Services) -> None:
    add_server(services, "web1", ["restart_service"])
    store_readings(services, "web1", [reading(failed=("nginx.service",))] * 5)
    publish(services, "web1")
    services.analysis.analyse_pending(lambda: False, consumer="d1")
    publish(services, "web1")
    report = services.analysis.analyse_pending(lambda: False, consumer="d1")
    assert (report.analysed, report.reused) == (0, 1)
    assert count(services, AnalysisRecord) == 1


def test_a_stop_request_leaves_notices_unacked_for_redelivery(
    services: Services,
) -> None:
    add_server(services, "web1")
    publish(services, "web1")
    report = services.analysis.analyse_pending(lambda: True, consumer="d1")
    assert report.notices == 0
    assert services.queue.work_queue.pending_count() == 1


@pytest.fixture
def redis_services(
    loaded_config: LoadedConfig, clock: FakeClock, redis_db: int
) -> Iterator[Services]:
    settings = loaded_config.settings.model_copy(
        update={"redis": RedisSection(url=f"redis://127.0.0.1:6379/{redis_db}")}
    )
    svc = build_services(replace(loaded_config, settings=settings), clock=clock)
    svc.store.seed()
    yield svc
    svc.close()


@pytest.mark.redis
def test_pending_notices_come_from_the_redis_stream(redis_services: Services) -> None:
    svc = redis_services
    assert svc.queue.kind == "redis"
    add_server(svc, "web1", ["restart_service"])
    store_readings(svc, "web1", [reading(failed=("nginx.service",))] * 5)
    publish(svc, "web1")
    report = svc.analysis.analyse_pending(lambda: False, consumer="redis-daemon")
    assert (report.analysed, report.notices, report.degraded) == (1, 1, False)
    assert svc.queue.work_queue.pending_count() == 0
    assert count(svc, RecommendationRecord) == 1
