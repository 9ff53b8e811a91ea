"""Prometheus metrics of one daemon: its steps, and the latest host readings.

Each daemon owns a ``CollectorRegistry`` of its own (no process-global
registry), so tests and reloads never collide on metric names.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

DURATION_BUCKETS = (0.01, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class MetricsRegistry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._runs = Counter(
            "ssop_daemon_step_runs", "Runs of a daemon step.", ["step"], registry=r
        )
        self._failures = Counter(
            "ssop_daemon_step_failures",
            "Runs of a daemon step that raised an error.",
            ["step"],
            registry=r,
        )
        self._skipped = Counter(
            "ssop_daemon_step_skipped",
            "Scheduled runs skipped because the loop was still busy.",
            ["step"],
            registry=r,
        )
        self._item_failures = Counter(
            "ssop_daemon_step_item_failures",
            "Items (servers, ...) that failed inside finished step runs.",
            ["step"],
            registry=r,
        )
        self._duration = Histogram(
            "ssop_daemon_step_duration_seconds",
            "Duration of daemon step runs.",
            ["step"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self._readings = Gauge(
            "ssop_host_reading",
            "Latest reading of a monitored server (cpu_percent, load1, ...).",
            ["server", "reading"],
            registry=r,
        )
        self._lock = threading.Lock()
        self._host_keys: dict[str, set[str]] = {}

    def add_step(self, step: str) -> None:
        """Make a step's series exist at zero before its first run."""
        for metric in (self._runs, self._failures, self._skipped, self._item_failures):
            metric.labels(step=step)
        self._duration.labels(step=step)

    def step_finished(self, step: str, duration_s: float, *, ok: bool) -> None:
        self._runs.labels(step=step).inc()
        if not ok:
            self._failures.labels(step=step).inc()
        self._duration.labels(step=step).observe(duration_s)

    def step_skipped(self, step: str, count: int) -> None:
        self._skipped.labels(step=step).inc(count)

    def items_failed(self, step: str, count: int) -> None:
        if count > 0:
            self._item_failures.labels(step=step).inc(count)

    def set_host_readings(self, server: str, readings: Mapping[str, float]) -> None:
        """Replace ``server``'s gauges; readings it no longer reports disappear."""
        with self._lock:
            gone = self._host_keys.get(server, set()) - set(readings)
            for key in gone:
                self._readings.remove(server, key)
            for key, value in readings.items():
                self._readings.labels(server=server, reading=key).set(value)
            self._host_keys[server] = set(readings)

    def forget_host(self, server: str) -> None:
        """Drop every gauge of a server that was removed or disabled."""
        self.set_host_readings(server, {})
        with self._lock:
            self._host_keys.pop(server, None)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
