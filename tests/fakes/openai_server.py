"""A scripted OpenAI-compatible HTTP server on loopback, for the real client.

Each test queues the replies it wants (status, headers, body, delay) and
reads back every request received, to check what the prompt held. With no
reply left it answers the ``always`` reply if one is set, else asks its
``responder`` (a function of the request, for a model that answers every
server its own way), else answers 500
"unscripted", which a test would notice.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @classmethod
    def chat(
        cls,
        content: str | None,
        *,
        finish_reason: str = "stop",
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
        delay_s: float = 0.0,
    ) -> Reply:
        """A chat completion whose message text is ``content``."""
        body = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "fake-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return cls(200, json.dumps(body).encode(), delay_s=delay_s)

    @classmethod
    def advice(cls, data: Mapping[str, Any], **kw: Any) -> Reply:
        """A chat completion whose content is ``data`` as JSON."""
        return cls.chat(json.dumps(data), **kw)

    @classmethod
    def error(
        cls, status: int, headers: Mapping[str, str] | None = None, delay_s: float = 0.0
    ) -> Reply:
        body = {"error": {"message": f"scripted {status}", "type": "fake"}}
        return cls(status, json.dumps(body).encode(), dict(headers or {}), delay_s)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: Mapping[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def text(self) -> str:
        """Everything the client sent in the body, as one decoded string."""
        return self.raw.decode()

    def messages(self) -> list[dict[str, Any]]:
        return list(self.json["messages"])


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as api:``; ``api.base_url`` for the client."""

    def __init__(self, responder: Callable[[Received], Reply] | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.responder = responder
        self.received: list[Received] = []
        self._always: Reply | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def base_url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def always(self, reply: Reply | None) -> None:
        """Answer ``reply`` whenever the script is empty (None: 500 again)."""
        with self._lock:
            self._always = reply

    def left(self) -> int:
        with self._lock:
            return len(self.replies)

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.received.append(received)
            if self.replies:
                return self.replies.popleft()
        if self._always is not None:
            return self._always
        if self.responder is not None:
            return self.responder(received)
        return Reply.error(500)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                got = Received("POST", self.path, headers, raw)
                reply = fake._next(got)
                if reply.delay_s and fake._closing.wait(reply.delay_s):
                    return
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout) before the reply

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def fake_openai() -> Iterator[FakeOpenAI]:
    """Fixture body: a started fake, stopped after the test."""
    with FakeOpenAI() as api:
        yield api
