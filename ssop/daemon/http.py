"""GET /health (JSON) and GET /metrics (Prometheus) from a background thread.

Standard library only: a ThreadingHTTPServer whose daemon threads never
keep the process alive. /health answers 200 when healthy, else 503.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ssop.core.errors import ConfigError
from ssop.daemon.board import StatusBoard
from ssop.daemon.metrics import MetricsRegistry

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    board: StatusBoard
    metrics: MetricsRegistry


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "ssop"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        path = self.path.split("?", 1)[0]
        if path == "/health":
            snapshot = self.server.board.snapshot()
            body = json.dumps(snapshot.as_dict()).encode()
            self._send(200 if snapshot.healthy else 503, body, "application/json")
        elif path == "/metrics":
            body, content_type = self.server.metrics.render()
            self._send(200, body, content_type)
        else:
            self._send(404, b'{"error": "not found"}', "application/json")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: %s %s", self.address_string(), format % args)


class HealthServer:
    def __init__(
        self, bind: str, port: int, board: StatusBoard, metrics: MetricsRegistry
    ) -> None:
        self.bind = bind
        self.port = port
        self.board = board
        self.metrics = metrics
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        """Listen and serve in a daemon thread; the port actually bound.

        Raises:
            ConfigError: the address cannot be bound (in use, not local, ...).
        """
        cls = _Server6 if ":" in self.bind else _Server
        try:
            server = cls((self.bind, self.port), _Handler)
        except OSError as e:
            raise ConfigError(
                f"cannot serve /health on {self.bind}:{self.port} ({e.strerror or e})",
                hint="change app.bind / app.port, or stop what holds the port",
            ) from e
        server.board, server.metrics = self.board, self.metrics
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ssop-http",
            daemon=True,
        )
        self._thread.start()
        bound = int(server.server_address[1])
        log.info("http: /health and /metrics on %s:%d", self.bind, bound)
        return bound

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
