"""The fleet gauges on the daemon's /metrics, read by a real scrape."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import Session

from ssop.core.config.loader import LoadedConfig, SystemdEnv, load_config
from ssop.core.models import (
    AnalysisRecord,
    ApprovalRequest,
    AutomationState,
    CrawlError,
    Execution,
    MetricSample,
    Server,
)
from ssop.core.services import Services
from ssop.daemon.runtime import DaemonRuntime

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
Sample = tuple[str, tuple[tuple[str, str], ...], float]


def seed(s: Session) -> None:
    for name in ("web1", "web2", "new"):
        s.add(Server(name=name, host="10.0.0.1", use_agent=True))
    s.add(Server(name="off", host="10.0.0.2", use_agent=True, enabled=False))
    s.add(MetricSample(server_name="web1", at=T0))
    s.add(CrawlError(server_name="web1", at=T0 - timedelta(minutes=1), cause="timeout"))
    s.add(MetricSample(server_name="web2", at=T0 - timedelta(minutes=5)))
    for minutes in (1, 2):
        at = T0 - timedelta(minutes=minutes)
        s.add(CrawlError(server_name="web2", at=at, cause="jump"))
    s.add(_request("pending_approval"))
    s.add(_request("approved"))
    s.add(AutomationState(id=1, paused=True, mode="shadow"))
    for status, trigger in (("succeeded", "policy"), ("succeeded", "policy")):
        s.add(_execution(status, trigger))
    s.add(_execution("failed", "manual"))
    s.add(_analysis("llm", None))
    s.add(_analysis("rules", "timeout"))
    s.add(_analysis("rules", None))  # the model was not asked


def _request(status: str) -> ApprovalRequest:
    return ApprovalRequest(
        expires_at=T0 + timedelta(hours=1),
        status=status,
        trigger="policy",
        server_name="web1",
        action_name="restart_service",
        params_key="k",
        spec_hash="h",
        effective_risk="medium",
        requested_by="policy",
    )


def _execution(status: str, trigger: str) -> Execution:
    return Execution(
        server_name="web1",
        action_name="get_uptime",
        action_type="command_get",
        actor="ssop",
        trigger=trigger,
        status=status,
    )


def _analysis(analyzer: str, llm_error: str | None) -> AnalysisRecord:
    return AnalysisRecord(
        server_name="web1", analyzer=analyzer, risk="low", llm_error=llm_error
    )


def scrape(port: int) -> list[Sample]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return [
        (x.name, tuple(sorted(x.labels.items())), x.value)
        for family in text_string_to_metric_families(text)
        for x in family.samples
        if x.name.startswith(("ssop_server_", "ssop_approvals", "ssop_automation"))
        or x.name.startswith(("ssop_policy", "ssop_executions", "ssop_llm"))
    ]


def test_a_scrape_carries_the_fleet_gauges(
    services: Services, loaded_config: LoadedConfig, isolated_env: dict[str, str]
) -> None:
    with services.sessions() as s, s.begin():
        seed(s)
    environ = dict(
        isolated_env, SSOP_DATABASE_URL=loaded_config.database_url(), SSOP_APP__PORT="0"
    )
    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    runtime = DaemonRuntime(config, lambda: config)
    daemon = runtime.daemon(SystemdEnv(None, None))
    daemon.bootstrap()
    try:
        assert runtime.http_port
        samples = set(scrape(runtime.http_port))
    finally:
        daemon.teardown()
    web = (("server", "web1"),), (("server", "web2"),), (("server", "new"),)
    assert {x for x in samples if x[0] == "ssop_server_up"} == {
        ("ssop_server_up", web[0], 1.0),
        ("ssop_server_up", web[1], 0.0),
        ("ssop_server_up", web[2], 0.0),
    }
    last = "ssop_server_last_crawl_timestamp_seconds"
    assert {x for x in samples if x[0] == last} == {
        (last, web[0], T0.timestamp()),
        (last, web[1], (T0 - timedelta(minutes=1)).timestamp()),
    }
    failures = "ssop_server_crawl_failures_total"
    assert {x for x in samples if x[0] == failures} == {
        (failures, (("cause", "timeout"), ("server", "web1")), 1.0),
        (failures, (("cause", "jump"), ("server", "web2")), 2.0),
    }
    assert ("ssop_approvals_pending", (), 1.0) in samples
    assert ("ssop_automation_paused", (), 1.0) in samples
    assert ("ssop_policy_shadow", (), 1.0) in samples
    executions = "ssop_executions_total"
    assert {x for x in samples if x[0] == executions} == {
        (executions, (("status", "succeeded"), ("trigger", "policy")), 2.0),
        (executions, (("status", "failed"), ("trigger", "manual")), 1.0),
    }
    calls = "ssop_llm_calls_total"
    assert {x for x in samples if x[0] == calls} == {
        (calls, (("outcome", "ok"),), 1.0),
        (calls, (("outcome", "timeout"),), 1.0),
    }
