"""HTTP actions for real: HttpRunner and the runner against a loopback HTTP server."""

from __future__ import annotations

import contextlib
import json
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ssop.core.actions.catalog import ActionDraft
from ssop.core.actions.render import HttpRequest
from ssop.core.errors import CommandTimeout, TransportError
from ssop.core.execution.executor import ExecutionStatus
from ssop.core.execution.http_runner import HttpRunner
from ssop.core.services import Services
from tests.support.auth import admin
from tests.support.servers import add_server, assign

Reply = tuple[int, dict[str, str], bytes]
TEN_MB = b"x" * (10 * 1024 * 1024)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Loopback:
    url: str
    reply: Callable[[Seen], Reply] = lambda _seen: (200, {}, b"ok")
    seen: list[Seen] = field(default_factory=list)


@pytest.fixture
def web() -> Iterator[Loopback]:
    state = Loopback("")

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, self.path, dict(self.headers), self.rfile.read(length)
            )
            state.seen.append(seen)
            status, headers, body = state.reply(seen)
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            # the client may stop reading at its cap and close
            with contextlib.suppress(ConnectionError):
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def request(
    url: str, method: str = "GET", timeout: float = 5.0, **kw: object
) -> HttpRequest:
    return HttpRequest(method, url, kw.get("headers", ()), kw.get("body"), timeout)  # type: ignore[arg-type]


def test_sends_method_headers_and_body(web: Loopback) -> None:
    result = HttpRunner().run(
        request(
            web.url + "/restart/nginx?x=1",
            "POST",
            headers=(("X-Reason", "ssop"), ("Content-Type", "application/json")),
            body=b'{"service":"nginx"}',
        )
    )
    assert (result.exit_code, result.stdout, result.stderr) == (0, "ok", "HTTP 200 OK")
    (seen,) = web.seen
    assert (seen.method, seen.path, seen.body) == (
        "POST",
        "/restart/nginx?x=1",
        b'{"service":"nginx"}',
    )
    assert seen.headers["X-Reason"] == "ssop"


def test_non_2xx_is_a_failure_and_redirects_are_not_followed(web: Loopback) -> None:
    web.reply = lambda seen: (
        (302, {"Location": "/elsewhere"}, b"")
        if seen.path == "/a"
        else (503, {}, b"down")
    )
    moved = HttpRunner().run(request(web.url + "/a"))
    assert (moved.exit_code, moved.stderr) == (302, "HTTP 302 Found")
    down = HttpRunner().run(request(web.url + "/b"))
    assert (down.exit_code, down.stdout, down.ok) == (503, "down", False)
    assert [s.path for s in web.seen] == ["/a", "/b"]


def test_a_large_answer_is_cut_at_the_cap(web: Loopback) -> None:
    web.reply = lambda _seen: (200, {}, TEN_MB)  # allocated before tracing starts
    tracemalloc.start()
    try:
        result = HttpRunner(output_cap=64 * 1024).run(request(web.url))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (len(result.stdout), result.stdout_truncated) == (64 * 1024, True)
    assert peak < 4 * 1024 * 1024


def test_a_server_that_never_answers_times_out(hung_host: tuple[str, int]) -> None:
    host, port = hung_host
    with pytest.raises(CommandTimeout, match=r"no answer within 0.5s"):
        HttpRunner().run(request(f"http://{host}:{port}/x", timeout=0.5))


def test_a_closed_port_is_a_transport_error(dead_host: tuple[str, int]) -> None:
    host, port = dead_host
    with pytest.raises(TransportError, match="ConnectError"):
        HttpRunner().run(request(f"http://{host}:{port}/x"))


def test_an_http_action_runs_with_its_record(services: Services, web: Loopback) -> None:
    root = admin(services)
    draft = ActionDraft(
        type="http",
        risk="medium",
        method="POST",
        url=web.url + "/restart/{service}",
        body='{"service": "{service}", "n": "{n}"}',
        headers=("Authorization: Bearer s3cret", "X-Reason: ssop"),
        params=("service:unit", "n:positive_int=2"),
        timeout_s=5,
    )
    services.actions.create(root, draft.spec("restart_hook"))
    add_server(services, "web1")
    assign(services, "web1", "restart_hook")
    record = services.runs.run(
        root, "web1", "restart_hook", {"service": "api@1"}, confirm=lambda _p: True
    )
    assert record.status is ExecutionStatus.SUCCEEDED
    (seen,) = web.seen
    assert seen.path == "/restart/api%401"
    assert json.loads(seen.body) == {"service": "api@1", "n": 2}
    assert seen.headers["Authorization"] == "Bearer s3cret"
    assert record.command.splitlines()[:3] == [
        f"POST {web.url}/restart/api%401",
        "Authorization: ***",
        "X-Reason: ssop",
    ]
    assert "s3cret" not in record.command
    assert (record.stdout, record.stderr, record.params) == (
        "ok",
        "HTTP 200 OK",
        {"service": "api@1", "n": "2"},
    )
