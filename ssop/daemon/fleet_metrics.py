"""The fleet gauges on /metrics: per server up/last crawl/failures, and the
approvals, switches, executions and model calls of the whole fleet.

Built from the store when scraped (``FleetGaugeService.read``); a store that
cannot be read leaves them out of that scrape instead of failing it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ssop.core.errors import StoreError
from ssop.core.ops.fleet_gauges import FleetGauges
from ssop.core.services import Services

log = logging.getLogger(__name__)


class FleetCollector(Collector):
    def __init__(self, read: Callable[[], FleetGauges]) -> None:
        self._read = read

    def describe(self) -> Iterator[Metric]:
        return iter(())  # built per scrape: nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        try:
            fleet = self._read()
        except StoreError as e:
            log.warning("metrics: fleet gauges left out: %s", e.message)
            return
        yield from _per_server(fleet)
        yield from _fleet_wide(fleet)


def _per_server(fleet: FleetGauges) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "ssop_server_up",
        "1 when the server's latest crawl succeeded, within two crawl periods.",
        labels=["server"],
    )
    last = GaugeMetricFamily(
        "ssop_server_last_crawl_timestamp_seconds",
        "Unix time of the server's latest crawl, failed or not.",
        labels=["server"],
    )
    for server in fleet.servers:
        up.add_metric([server.name], 1.0 if server.up else 0.0)
        if server.last_crawl is not None:
            last.add_metric([server.name], server.last_crawl.timestamp())
    failures = CounterMetricFamily(
        "ssop_server_crawl_failures",
        "Failed crawls of a server, by cause.",
        labels=["server", "cause"],
    )
    for name, cause, count in fleet.crawl_failures:
        failures.add_metric([name, cause], count)
    yield from (up, last, failures)


def _fleet_wide(fleet: FleetGauges) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "ssop_approvals_pending",
        "Approval requests waiting for a person.",
        value=fleet.approvals_pending,
    )
    yield GaugeMetricFamily(
        "ssop_automation_paused",
        "1 while the kill switch pauses automation.",
        value=float(fleet.automation_paused),
    )
    yield GaugeMetricFamily(
        "ssop_policy_shadow",
        "1 while the whole fleet is in shadow mode.",
        value=float(fleet.policy_shadow),
    )
    executions = CounterMetricFamily(
        "ssop_executions",
        "Finished executions, by the status they ended in and trigger.",
        labels=["status", "trigger"],
    )
    for status, trigger, count in fleet.executions:
        executions.add_metric([status, trigger], count)
    calls = CounterMetricFamily(
        "ssop_llm_calls",
        "Analyses that asked the model, by outcome (ok or the error kind).",
        labels=["outcome"],
    )
    for outcome, count in fleet.llm_calls:
        calls.add_metric([outcome], count)
    yield from (executions, calls)


def fleet_collector(services: Services) -> FleetCollector:
    from ssop.core.ops.fleet_gauges import FleetGaugeService

    settings = services.config.settings
    gauges = FleetGaugeService(
        services.sessions, services.clock, settings.app, settings.policy
    )
    return FleetCollector(gauges.read)
