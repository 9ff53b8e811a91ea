"""The fleet gauges on the daemon's /metrics, read by a real scrape."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
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
from ssop.core.services import Services, build_services
from ssop.daemon.runtime import DaemonRuntime
from tests.fakes.clock import FakeClock

RULES = Path(__file__).parents[2] / "configs" / "prometheus" / "ssop-alerts.yml"
T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(seconds=30)
Sample = tuple[str, tuple[tuple[str, str], ...], float]


def seed(s: Session) -> None:
    for name in ("web1", "web2", "new", "quiet"):
        s.add(Server(name=name, host="10.0.0.1", use_agent=True))
    s.add(Server(name="off", host="10.0.0.2", use_agent=True, enabled=False))
    s.add(MetricSample(server_name="web1", at=T0))
    # read fine, but longer ago than two crawl periods (2 x 60 s)
    s.add(MetricSample(server_name="quiet", at=T0 - timedelta(minutes=3)))
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


@contextmanager
def serving(
    loaded_config: LoadedConfig, isolated_env: dict[str, str], now: datetime = NOW
) -> Iterator[int]:
    """A daemon bootstrapped on the test store, its clock at ``now``; its port."""
    environ = dict(
        isolated_env, SSOP_DATABASE_URL=loaded_config.database_url(), SSOP_APP__PORT="0"
    )
    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    clock = FakeClock(now)
    runtime = DaemonRuntime(
        config, lambda: config, build=lambda c: build_services(c, clock=clock)
    )
    daemon = runtime.daemon(SystemdEnv(None, None))
    daemon.bootstrap()
    try:
        assert runtime.http_port
        yield runtime.http_port
    finally:
        daemon.teardown()


def test_a_scrape_carries_the_fleet_gauges(
    services: Services, loaded_config: LoadedConfig, isolated_env: dict[str, str]
) -> None:
    with services.sessions() as s, s.begin():
        seed(s)
    with serving(loaded_config, isolated_env) as port:
        samples = set(scrape(port))
    web = (("server", "web1"),), (("server", "web2"),), (("server", "new"),)
    quiet = (("server", "quiet"),)
    assert {x for x in samples if x[0] == "ssop_server_up"} == {
        ("ssop_server_up", web[0], 1.0),
        ("ssop_server_up", web[1], 0.0),
        ("ssop_server_up", web[2], 0.0),
        ("ssop_server_up", quiet, 0.0),
    }
    last = "ssop_server_last_crawl_timestamp_seconds"
    assert {x for x in samples if x[0] == last} == {
        (last, web[0], T0.timestamp()),
        (last, web[1], (T0 - timedelta(minutes=1)).timestamp()),
        (last, quiet, (T0 - timedelta(minutes=3)).timestamp()),
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
    alerted = set(re.findall(r"\bssop_[a-z_]+", RULES.read_text()))
    assert alerted and alerted <= {x[0] for x in samples}


OLD = T0 - timedelta(days=40)  # older than the 30 days the test keeps
Counters = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def counters(samples: list[Sample]) -> Counters:
    return {(n, labels): v for n, labels, v in samples if n.endswith("_total")}


def seed_history(s: Session) -> int:
    """Old and new failures, executions and model calls; the running one's id."""
    for minutes in range(3):
        at = OLD + timedelta(minutes=minutes)
        s.add(CrawlError(server_name="web1", at=at, cause="timeout"))
    s.add(CrawlError(server_name="web1", at=T0, cause="timeout"))
    s.add(CrawlError(server_name="web2", at=OLD, cause="auth"))
    for _ in range(2):
        s.add(_execution("succeeded", "policy"))
    s.add(_analysis("llm", None))
    running = _execution("running", "manual")
    s.add(running)
    s.flush()
    assert running.id is not None
    return running.id


def test_counters_never_drop_when_retention_prunes_their_rows(
    services: Services, loaded_config: LoadedConfig, isolated_env: dict[str, str]
) -> None:
    with services.sessions() as s, s.begin():
        running = seed_history(s)
    with serving(loaded_config, isolated_env) as port:
        before = counters(scrape(port))
        pruned = services.store.prune_counts(30, now=T0)
        with services.sessions() as s, s.begin():
            execution = s.get(Execution, running)
            assert execution is not None
            execution.status = "failed"
        after = counters(scrape(port))
    # the newest failure goes too, later: the carried row grows
    later = services.store.prune_counts(30, now=T0 + timedelta(days=31))
    with serving(loaded_config, isolated_env) as port:  # a restarted daemon
        restarted = counters(scrape(port))
    assert pruned["crawl_errors"] == 4 and later["crawl_errors"] == 1
    failures, executions = "ssop_server_crawl_failures_total", "ssop_executions_total"
    web1 = (failures, (("cause", "timeout"), ("server", "web1")))
    web2 = (failures, (("cause", "auth"), ("server", "web2")))
    succeeded = (executions, (("status", "succeeded"), ("trigger", "policy")))
    failed = (executions, (("status", "failed"), ("trigger", "manual")))
    ok = ("ssop_llm_calls_total", (("outcome", "ok"),))
    assert before == {web1: 4.0, web2: 1.0, succeeded: 2.0, ok: 1.0}
    assert all(after.get(k, 0.0) >= v for k, v in before.items())
    assert (
        after == restarted == {web1: 4.0, web2: 1.0, succeeded: 2.0, failed: 1, ok: 1}
    )
