"""/health and /metrics over real HTTP on a free loopback port."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ssop.core.config.loader import LoadedConfig, SystemdEnv, load_config
from ssop.core.errors import ConfigError
from ssop.daemon.board import StatusBoard, StepRun
from ssop.daemon.http import HealthServer
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.runtime import DaemonRuntime
from tests.fakes.clock import FakeClock


def get(port: int, path: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read()


def health(port: int) -> tuple[int, dict[str, Any]]:
    code, content_type, body = get(port, "/health")
    assert content_type == "application/json"
    return code, json.loads(body)


@pytest.fixture
def board(clock: FakeClock) -> StatusBoard:
    board = StatusBoard("web1:42:aa", clock.now(), clock)
    board.add_step("crawl", 60)
    board.add_step("heartbeat", 15)
    return board


@pytest.fixture
def metrics() -> MetricsRegistry:
    metrics = MetricsRegistry()
    metrics.add_step("crawl")
    return metrics


@pytest.fixture
def server(board: StatusBoard, metrics: MetricsRegistry) -> Iterator[int]:
    srv = HealthServer("127.0.0.1", 0, board, metrics)
    port = srv.start()
    yield port
    srv.stop()


def ran(board: StatusBoard, clock: FakeClock, step: str, **kw: Any) -> None:
    at = clock.now()
    board.record(step, StepRun(at, at + timedelta(seconds=2), 2.0, **kw))


def test_health_is_200_with_each_step_while_all_is_well(
    server: int, board: StatusBoard, clock: FakeClock
) -> None:
    ran(board, clock, "crawl", summary="crawled 50 servers, 2 failed")
    board.add_skipped("crawl", 2)
    code, data = health(server)
    assert code == 200
    assert data["daemon_id"] == "web1:42:aa"
    assert data["started_at"] == clock.now().isoformat()
    assert data["healthy"] is True and data["degraded"] == []
    crawl = data["steps"]["crawl"]
    assert (crawl["runs"], crawl["failures"], crawl["skipped"]) == (1, 0, 2)
    assert crawl["last_summary"] == "crawled 50 servers, 2 failed"
    assert crawl["last_finished_at"] == (clock.now() + timedelta(seconds=2)).isoformat()
    assert data["steps"]["heartbeat"]["runs"] == 0


def test_health_is_503_with_flags_when_a_step_fails_or_falls_behind(
    server: int, board: StatusBoard, clock: FakeClock
) -> None:
    ran(board, clock, "crawl", error="database error: disk full")
    board.set_next_due("heartbeat", clock.monotonic())
    clock.advance(61)
    code, data = health(server)
    assert code == 503
    assert data["degraded"] == ["crawl: failing", "heartbeat: overdue"]
    assert data["errors"] == 1
    assert data["steps"]["crawl"]["last_error"] == "database error: disk full"


def test_health_is_503_naming_a_stalled_step_and_how_long_it_runs(
    server: int, board: StatusBoard, clock: FakeClock
) -> None:
    board.start("crawl", clock.now())
    clock.advance(61)  # longer than the board's stall limit (60 s)
    code, data = health(server)
    assert code == 503
    assert data["degraded"] == ["crawl: stalled"]
    crawl = data["steps"]["crawl"]
    assert (crawl["stalled"], crawl["running_for_s"]) == (True, 61)
    assert crawl["running_since"] == (clock.now() - timedelta(seconds=61)).isoformat()


def test_health_is_503_while_stopping(server: int, board: StatusBoard) -> None:
    board.set_stopping()
    code, data = health(server)
    assert (code, data["stopping"], data["degraded"]) == (503, True, ["stopping"])


def test_metrics_expose_step_counters_and_host_readings(
    server: int, metrics: MetricsRegistry
) -> None:
    metrics.step_finished("crawl", 1.5, ok=False)
    metrics.step_skipped("crawl", 3)
    metrics.set_host_readings("web1", {"cpu_percent": 12.5, "load1": 0.75})
    metrics.set_host_readings("web1", {"cpu_percent": 20.0})
    code, content_type, body = get(server, "/metrics")
    text = body.decode()
    assert code == 200 and content_type.startswith("text/plain")
    assert 'ssop_daemon_step_runs_total{step="crawl"} 1.0' in text
    assert 'ssop_daemon_step_failures_total{step="crawl"} 1.0' in text
    assert 'ssop_daemon_step_skipped_total{step="crawl"} 3.0' in text
    assert 'ssop_daemon_step_duration_seconds_count{step="crawl"} 1.0' in text
    assert 'ssop_host_reading{reading="cpu_percent",server="web1"} 20.0' in text
    assert 'reading="load1"' not in text


def test_forgetting_a_host_drops_its_gauges(
    server: int, metrics: MetricsRegistry
) -> None:
    metrics.set_host_readings("web1", {"cpu_percent": 1.0})
    metrics.set_host_readings("web2", {"cpu_percent": 2.0})
    metrics.forget_host("web1")
    text = get(server, "/metrics")[2].decode()
    assert 'server="web1"' not in text and 'server="web2"' in text


def test_other_paths_are_404(server: int) -> None:
    assert get(server, "/")[0] == 404
    assert get(server, "/health/../etc")[0] == 404


def test_a_taken_port_is_a_config_error_naming_the_address(
    board: StatusBoard, metrics: MetricsRegistry
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}"):
            HealthServer("127.0.0.1", port, board, metrics).start()


def test_the_runtime_serves_health_from_bootstrap_to_teardown(
    loaded_config: LoadedConfig, isolated_env: dict[str, str]
) -> None:
    environ = dict(
        isolated_env,
        SSOP_DATABASE_URL=loaded_config.database_url(),
        SSOP_APP__PORT="0",
    )
    config = load_config(environ=environ, system_config=Path("/nonexistent"))
    runtime = DaemonRuntime(config, lambda: config)
    daemon = runtime.daemon(SystemdEnv(None, None))
    daemon.bootstrap()
    try:
        assert runtime.http_port
        code, data = health(runtime.http_port)
        assert code == 200 and data["daemon_id"] == runtime.daemon_id
        assert set(data["steps"]) == {
            "crawl",
            "analyse",
            "remediate",
            "execute_approved",
            "verify",
            "reconcile",
            "expire",
            "prune",
            "heartbeat",
        }
    finally:
        daemon.teardown()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(
            f"http://127.0.0.1:{runtime.http_port}/health", timeout=2
        )
