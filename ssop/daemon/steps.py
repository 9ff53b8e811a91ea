"""The daemon's steps, built from the services: the one place to wire new work.

Each step is a thin adapter: call one service method with the stop flag and
turn the ``StepReport`` it returns into a ``StepOutcome``. A crawl report's
``readings`` (per server, per reading name) become the /metrics host gauges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ssop.core.ops.daemon_registry import HEARTBEAT_INTERVAL_S
from ssop.core.work import ShouldStop, StepReport
from ssop.daemon.board import StatusBoard
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.step import Step, StepFn, StepOutcome

if TYPE_CHECKING:
    from ssop.core.crawl.service import CrawlService
    from ssop.core.crawl.shared import SharedCrawl
    from ssop.core.ops.daemon_registry import DaemonRegistry
    from ssop.core.ops.store_admin import StoreService
    from ssop.core.queue.base import Heartbeats
    from ssop.core.services import Services

PRUNE_INTERVAL_S = 24 * 3600.0
EXECUTE_APPROVED_INTERVAL_S = 10.0
HOUSEKEEPING_INTERVAL_S = 60.0
# A shared crawl looks this often per interval whether a stage is due.
TICKS_PER_INTERVAL, MIN_TICK_S = 10, 0.5
# Lanes beside the main one (ssop.daemon.lanes): the model is asked off the
# crawl's path, and the heartbeat reports a stalled step while it is stalled.
ANALYSIS_LANE, HEARTBEAT_LANE = "analysis", "heartbeat"

Work = Callable[[ShouldStop], StepReport]


def build_steps(
    services: Services,
    *,
    board: StatusBoard,
    metrics: MetricsRegistry,
    should_stop: ShouldStop,
) -> list[Step]:
    """The daemon's steps in run order; heartbeat last so it reports fresh times."""
    settings = services.config.settings
    shared = services.shared_crawl(board.daemon_id)
    return [
        crawl_step(services, shared, metrics, should_stop),
        Step(
            "analyse",
            settings.app.model_delay,
            reporting(services.analysis.analyse_pending, should_stop),
            lane=ANALYSIS_LANE,
        ),
        *policy_steps(services, should_stop),
        Step(
            "prune",
            PRUNE_INTERVAL_S,
            prune(services.store, services.daemons, settings.retention.days),
            at=settings.retention.prune_at,
        ),
        Step(
            "heartbeat",
            HEARTBEAT_INTERVAL_S,
            heartbeat(
                services.daemons,
                board,
                lambda: services.queue.heartbeats,
                lambda: member_info(services, shared),
            ),
            lane=HEARTBEAT_LANE,
        ),
    ]


def policy_steps(services: Services, should_stop: ShouldStop) -> list[Step]:
    """Decide new advice, run what was approved, then check on what ran."""
    crawl_every = services.config.settings.app.crawler_delay
    approvals = services.approvals
    work: list[tuple[str, float, Work]] = [
        ("remediate", crawl_every, services.remediation.remediate_new),
        ("execute_approved", EXECUTE_APPROVED_INTERVAL_S, approvals.execute_approved),
        ("verify", crawl_every, services.verifier.verify_due),
        ("reconcile", HOUSEKEEPING_INTERVAL_S, services.reconciler.reconcile),
        ("expire", HOUSEKEEPING_INTERVAL_S, approvals.expire_due),
    ]
    return [
        Step(name, every, reporting(method, should_stop))
        for name, every, method in work
    ]


def reporting(work: Work, should_stop: ShouldStop) -> StepFn:
    """A step that runs ``work`` until done or told to stop, and reports it."""
    return lambda: outcome_of(work(should_stop))


def crawl_step(
    services: Services,
    shared: SharedCrawl | None,
    metrics: MetricsRegistry,
    should_stop: ShouldStop,
) -> Step:
    """The whole fleet each interval, or with Redis this daemon's share of it:
    then the step ticks several times an interval (``SharedCrawl.tick``)."""
    every = float(services.config.settings.app.crawler_delay)
    if shared is None:
        return Step("crawl", every, crawl(services.crawler, metrics, should_stop))

    def run() -> StepOutcome:
        report = shared.tick(should_stop)
        if report.crawl is None:
            return StepOutcome(summary=report.summary(), idle=True)
        publish_readings(metrics, report.readings)
        return outcome_of(report)

    tick = max(MIN_TICK_S, every / TICKS_PER_INTERVAL)
    return Step("crawl", tick, run, ticks=max(1, round(every / tick)))


def member_info(services: Services, shared: SharedCrawl | None) -> dict[str, Any]:
    """What ``ssop daemon list`` shows beside the registry's own columns."""
    info: dict[str, Any] = {"connections": len(services.pool)}
    if shared is not None:
        info.update(shared.stats.as_info())
    return info


def crawl(
    crawler: CrawlService, metrics: MetricsRegistry, should_stop: ShouldStop
) -> StepFn:
    def run() -> StepOutcome:
        report = crawler.crawl_fleet(should_stop)
        publish_readings(metrics, report.readings)
        return outcome_of(report)

    return run


def publish_readings(
    metrics: MetricsRegistry, readings: Mapping[str, Mapping[str, float]]
) -> None:
    """Copy a crawl's readings ({server: {name: value}}) to /metrics."""
    for server, values in readings.items():
        metrics.set_host_readings(server, values)


def outcome_of(report: StepReport) -> StepOutcome:
    return StepOutcome(
        summary=report.summary(), failed=report.failed, degraded=report.degraded
    )


def prune(store: StoreService, registry: DaemonRegistry, days: int) -> StepFn:
    def run() -> StepOutcome:
        deleted = store.prune(days) + registry.prune(days)
        return StepOutcome(summary=f"pruned {deleted} row(s) older than {days}d")

    return run


def heartbeat(
    registry: DaemonRegistry,
    board: StatusBoard,
    live: Callable[[], Heartbeats],
    extra: Callable[[], Mapping[str, Any]] = dict,
) -> StepFn:
    """Beat in the store (for ``ssop health``) and in the queue, whose entry
    expires by itself when this daemon dies (Redis: ``ssop:daemon:<id>``)."""

    def run() -> None:
        snap = board.snapshot()
        crawl, analyse = snap.step("crawl"), snap.step("analyse")
        info = {**snap.heartbeat_info(), **extra()}
        try:
            registry.beat(
                snap.daemon_id,
                errors=snap.errors,
                last_crawl_at=crawl.last_success_at if crawl else None,
                last_analysis_at=analyse.last_success_at if analyse else None,
                info=info,
            )
        finally:
            # while the store is down the members are known from the queue alone
            live().beat(
                snap.daemon_id,
                {"errors": snap.errors, **info},
                ttl_s=int(3 * HEARTBEAT_INTERVAL_S),
            )

    return run
