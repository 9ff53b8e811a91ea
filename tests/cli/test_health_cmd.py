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

import pytest

from ssop.core.errors import ExitCode
from ssop.core.ops.daemon_registry import DaemonRegistry
from ssop.core.store.db import create_engine_for, session_factory
from tests.cli.conftest import Cli
from tests.fakes.clock import FakeClock


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
