"""A loopback HTTP receiver for webhook tests: one that answers, fails, or hangs.

Paths choose the behaviour: ``/ok...`` answers 204, ``/fail...`` 500,
``/reject...`` 400, ``/hang...`` holds the request until ``release()``.
Every request's path and JSON body is kept, in arrival order.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, Any]] = []
        self.hanging = threading.Event()  # set once a /hang request arrived
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [p for p, _ in self.requests]

    def bodies(self, prefix: str) -> list[Any]:
        with self._lock:
            return [b for p, b in self.requests if p.startswith(prefix)]

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                with receiver._lock:
                    receiver.requests.append((self.path, body))
                if self.path.startswith("/hang"):
                    receiver.hanging.set()
                    receiver._release.wait(30)
                    return
                code = 204
                if self.path.startswith("/fail"):
                    code = 500
                elif self.path.startswith("/reject"):
                    code = 400
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
