"""``ssop health``: exit codes and messages for each kind of trouble."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ssop.core.config.loader import load_config
from ssop.core.errors import ExitCode
from ssop.core.ops.daemon_registry import DaemonRegistry
from ssop.core.services import Services, build_services
from ssop.core.store.db import create_engine_for, session_factory
from ssop.core.store.policy_repo import PolicyRepo
from tests.cli.conftest import Cli
from tests.fakes.clock import FakeClock
from tests.support.analysis import (
    add_server,
    reading,
    store_crawl_error,
    store_readings,
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def register(store_url: str, daemon_id: str, seen_ago: timedelta) -> None:
    engine = create_engine_for(store_url)
    clock = FakeClock(datetime.now(UTC) - seen_ago)
    DaemonRegistry(engine, session_factory(engine), clock).register(daemon_id)
    engine.dispose()


def checks(output: str) -> dict[str, tuple[str, str]]:
    data = json.loads(output)
    return {c["name"]: (c["state"], c["detail"]) for c in data["checks"]}


def test_a_healthy_store_without_daemons_passes_with_a_warning(cli: Cli) -> None:
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    found = checks(result.stdout)
    assert found["database"][0] == "ok"
    assert found["daemons"] == ("warning", "no daemon is running")
    assert json.loads(result.stdout)["ok"] is True


def test_require_daemon_fails_when_none_runs(cli: Cli) -> None:
    result = cli("health", "--require-daemon", "--format", "json")
    assert result.exit_code == ExitCode.ERROR
    assert checks(result.stdout)["daemons"] == ("failed", "no daemon is running")


def test_a_fresh_daemon_is_ok_and_a_stale_one_fails(cli: Cli, store_url: str) -> None:
    register(store_url, "web1:10:aa", timedelta(seconds=5))
    result = cli("health", "--require-daemon", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    assert checks(result.stdout)["daemon web1:10:aa"][0] == "ok"

    register(store_url, "web2:20:bb", timedelta(hours=1))
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.ERROR
    state, detail = checks(result.stdout)["daemon web2:20:bb"]
    assert state == "failed"
    # the age grows while the command runs: a loaded machine adds seconds
    assert re.match(r"stale: last seen 36\d\ds ago \(limit 180s\)", detail), detail


def test_unreachable_redis_is_a_connection_failure_naming_it(cli: Cli) -> None:
    port = closed_port()
    url = f"redis://:sekrit@127.0.0.1:{port}/0"
    result = cli("health", "--format", "json", SSOP_REDIS_URL=url)
    assert result.exit_code == ExitCode.CONNECTION
    state, detail = checks(result.stdout)["redis"]
    assert state == "failed"
    assert detail.startswith(f"cannot reach Redis at redis://:***@127.0.0.1:{port}/0")
    assert "sekrit" not in result.output


def test_the_table_names_each_check(cli: Cli) -> None:
    url = f"redis://127.0.0.1:{closed_port()}/0"
    result = cli("health", SSOP_REDIS_URL=url)
    assert result.exit_code == ExitCode.CONNECTION
    lines = result.stdout.splitlines()
    assert any("database" in line and "ok" in line for line in lines)
    assert any("redis" in line and "failed" in line for line in lines)


def test_a_reachable_redis_is_ok(cli: Cli, redis_db: int) -> None:
    result = cli(
        "health",
        "--format",
        "json",
        SSOP_REDIS_URL=f"redis://127.0.0.1:6379/{redis_db}",
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert checks(result.stdout)["redis"] == ("ok", "answers PING")


class ModelsHandler(BaseHTTPRequestHandler):
    status = 200
    seen_auth: list[str | None] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen_auth.append(self.headers.get("Authorization"))
        code = type(self).status if self.path == "/v1/models" else 404
        body = b'{"object": "list", "data": []}'
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def llm() -> Iterator[tuple[str, type[ModelsHandler]]]:
    handler = type("Handler", (ModelsHandler,), {"status": 200, "seen_auth": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def test_the_llm_endpoint_is_probed_with_the_key(
    cli: Cli, llm: tuple[str, type[ModelsHandler]]
) -> None:
    url, handler = llm
    result = cli(
        "health", "--format", "json", OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-test"
    )
    assert result.exit_code == ExitCode.OK, result.output
    assert checks(result.stdout)["llm"] == ("ok", "endpoint lists its models")
    assert handler.seen_auth == ["Bearer sk-test"]


def test_a_refused_llm_key_fails_with_error(
    cli: Cli, llm: tuple[str, type[ModelsHandler]]
) -> None:
    url, handler = llm
    handler.status = 401
    result = cli(
        "health", "--format", "json", OPENAI_BASE_URL=url, OPENAI_API_KEY="sk-wrong"
    )
    assert result.exit_code == ExitCode.ERROR
    assert checks(result.stdout)["llm"] == (
        "failed",
        f"the LLM endpoint {url}/models refused the API key (HTTP 401)",
    )


def test_an_unreachable_llm_is_a_connection_failure(cli: Cli) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    result = cli("health", "--format", "json", OPENAI_BASE_URL=url)
    assert result.exit_code == ExitCode.CONNECTION
    state, detail = checks(result.stdout)["llm"]
    assert state == "failed"
    assert detail.startswith(
        f"cannot reach the LLM endpoint {url}/models (ConnectError"
    )


def test_an_uninitialised_store_fails(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli("health", "--format", "json", SSOP_DATABASE_URL=url)
    assert result.exit_code == ExitCode.ERROR
    assert checks(result.stdout) == {
        "database": ("failed", "not initialised (run: ssop init)")
    }


def test_an_unreachable_database_is_a_connection_failure(cli: Cli) -> None:
    port = closed_port()
    url = f"mysql+mysqldb://root@127.0.0.1:{port}/ssop"
    result = cli("health", "--format", "json", SSOP_DATABASE_URL=url)
    assert result.exit_code == ExitCode.CONNECTION
    state, detail = checks(result.stdout)["database"]
    assert state == "failed"
    assert detail.startswith(f"cannot reach the database at 127.0.0.1:{port}")
    assert "daemons" not in checks(result.stdout)


@pytest.fixture
def svc(cli: Cli) -> Iterator[Services]:
    """The CLI's store, to write servers, readings and switches into."""
    config = load_config(environ=cli.env, system_config=Path("/nonexistent"))
    services = build_services(config)
    yield services
    services.close()


def a_running_daemon(store_url: str, **info: Any) -> None:
    engine = create_engine_for(store_url)
    registry = DaemonRegistry(engine, session_factory(engine), FakeClock(now()))
    registry.register("web1:10:aa", info=info)
    engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)


def fleet_of_three(svc: Services) -> None:
    """ok1 read now; down1 read, then failed; quiet1 last read 10 minutes ago."""
    for name in ("ok1", "down1", "quiet1"):
        add_server(svc, name)
    store_readings(svc, "ok1", [reading()], now=now())
    store_readings(svc, "down1", [reading()], now=now() - timedelta(seconds=90))
    store_crawl_error(svc, "down1", now() - timedelta(seconds=30), "timeout")
    store_readings(svc, "quiet1", [reading()], now=now() - timedelta(minutes=10))


def test_unreachable_and_stale_servers_fail_with_a_row_each(
    cli: Cli, svc: Services, store_url: str
) -> None:
    a_running_daemon(store_url)
    fleet_of_three(svc)
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.CONNECTION, result.output
    found = checks(result.stdout)
    assert "server ok1" not in found
    state, detail = found["server down1"]
    assert state == "failed"
    assert re.fullmatch(
        r"unreachable: last crawl failed 3\ds ago \(timeout: .*\)", detail
    )
    state, detail = found["server quiet1"]
    assert state == "failed"
    assert re.fullmatch(
        r"stale: no reading for 60\ds \(limit 120s, two crawl periods\)", detail
    )
    assert found["servers"] == ("failed", "1 unreachable, 1 stale of 3 enabled")
    rows = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert rows["server quiet1"]["data"]["problem"] == "stale"
    assert rows["server down1"]["data"]["cause"] == "timeout"


def test_without_a_running_daemon_nothing_is_stale_but_unreachable_stays(
    cli: Cli, svc: Services
) -> None:
    fleet_of_three(svc)
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.CONNECTION, result.output
    found = checks(result.stdout)
    assert "server quiet1" not in found and found["server down1"][0] == "failed"
    assert found["servers"] == ("failed", "1 unreachable, 0 stale of 3 enabled")


def test_a_fleet_read_in_time_is_ok(cli: Cli, svc: Services, store_url: str) -> None:
    a_running_daemon(store_url)
    add_server(svc, "ok1")
    store_readings(svc, "ok1", [reading()], now=now())
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    found = checks(result.stdout)
    assert found["servers"] == ("ok", "1 enabled, each read within two crawl periods")
    assert found["automation"] == ("ok", "live")


def test_a_stalled_step_of_a_running_daemon_fails_naming_it(
    cli: Cli, store_url: str
) -> None:
    since = now() - timedelta(seconds=95)
    steps = {
        "crawl": {"interval_s": 60, "running_since": None},
        "analyse": {"interval_s": 300, "running_since": since.isoformat()},
    }
    a_running_daemon(store_url, stall_after_s=60, steps=steps)
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.ERROR, result.output
    found = checks(result.stdout)
    assert found["daemon web1:10:aa"][0] == "ok"
    state, detail = found["daemon web1:10:aa step analyse"]
    assert state == "failed"
    assert re.fullmatch(
        r"stalled: step analyse running for 9[5-9] s, interval 300 s"
        r" \(stalled after 60 s\)",
        detail,
    )
    assert "daemon web1:10:aa step crawl" not in found
    rows = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    data = rows["daemon web1:10:aa step analyse"]["data"]
    assert (data["step"], data["interval_s"], data["stall_after_s"]) == (
        "analyse",
        300,
        60,
    )


def test_the_automation_switch_paused_warns_and_shadow_mode_shows(
    cli: Cli, svc: Services
) -> None:
    with svc.sessions() as s, s.begin():
        PolicyRepo(s).save_state(
            now(), paused=True, paused_by="alice", paused_at=now(), reason="upgrade"
        )
    result = cli("health", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.output
    state, detail = checks(result.stdout)["automation"]
    assert state == "warning"
    assert re.fullmatch(r"paused by alice \ds ago: upgrade \(ssop resume\)", detail)
    with svc.sessions() as s, s.begin():
        PolicyRepo(s).save_state(now(), paused=False, mode="shadow")
    result = cli("health")
    assert result.exit_code == ExitCode.OK, result.output
    assert any(
        "automation" in line and "shadow mode" in line
        for line in result.stdout.splitlines()
    )
