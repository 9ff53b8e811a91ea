"""Prometheus metrics of one daemon: its steps, and the latest host readings.

Each daemon owns a ``CollectorRegistry`` of its own (no process-global
registry), so tests and reloads never collide on metric names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
        self._readings = _HostReadings()
        r.register(self._readings)

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
        self._readings.set(server, readings)

    def forget_host(self, server: str) -> None:
        """Drop every gauge of a server that was removed or disabled."""
        self._readings.forget(server)

    def watch(self, collector: Collector) -> None:
        """Also expose what ``collector`` builds at each scrape (the fleet)."""
        self.registry.register(collector)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class _HostReadings(Collector):
    """The ``ssop_host_reading`` gauges, built only when scraped.

    A labelled ``Gauge`` keeps a child object with its own lock per series:
    ~7 MB for 1,000 servers of a dozen readings each. This keeps one tuple
    of (reading, value) pairs per server instead.
    """

    NAME = "ssop_host_reading"
    HELP = "Latest reading of a monitored server (cpu_percent, load1, ...)."

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, tuple[tuple[str, float], ...]] = {}

    def set(self, server: str, readings: Mapping[str, float]) -> None:
        pairs = tuple((key, float(value)) for key, value in readings.items())
        with self._lock:
            if pairs:
                self._latest[server] = pairs
            else:
                self._latest.pop(server, None)

    def forget(self, server: str) -> None:
        with self._lock:
            self._latest.pop(server, None)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            latest = list(self._latest.items())
        family = self._family()
        for server, pairs in sorted(latest):
            for key, value in pairs:
                family.add_metric([server, key], value)
        yield family

    def _family(self) -> GaugeMetricFamily:
        return GaugeMetricFamily(self.NAME, self.HELP, labels=["server", "reading"])
