"""The daemon's steps, built from the services: the one place to wire new work.

Each step is a thin adapter: call one service method, turn its result into a
``StepOutcome``. Crawl and analysis are hooks on ``Services.crawler`` and
``Services.analysis``; until those services exist the steps say so once and
report themselves unavailable. A crawl report's ``readings`` (per server, per
reading name) become the /metrics host gauges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ssop.core.ops.daemon_registry import HEARTBEAT_INTERVAL_S
from ssop.daemon.board import StatusBoard
from ssop.daemon.loop import Step, StepFn, StepOutcome
from ssop.daemon.metrics import MetricsRegistry

if TYPE_CHECKING:
    from ssop.core.ops.daemon_registry import DaemonRegistry
    from ssop.core.ops.store_admin import StoreService
    from ssop.core.queue.base import Heartbeats
    from ssop.core.services import Services

log = logging.getLogger(__name__)

PRUNE_INTERVAL_S = 24 * 3600.0
EXECUTE_APPROVED_INTERVAL_S = 10.0
HOUSEKEEPING_INTERVAL_S = 60.0
# Lanes beside the main one (ssop.daemon.lanes): the model is asked off the
# crawl's path, and the heartbeat reports a stalled step while it is stalled.
ANALYSIS_LANE, HEARTBEAT_LANE = "analysis", "heartbeat"
ShouldStop = Callable[[], bool]


def build_steps(
    services: Services,
    *,
    board: StatusBoard,
    metrics: MetricsRegistry,
    should_stop: ShouldStop,
) -> list[Step]:
    """The daemon's steps in run order; heartbeat last so it reports fresh times."""
    settings = services.config.settings
    return [
        Step(
            "crawl",
            settings.app.crawler_delay,
            service_hook(
                "crawl",
                services,
                "crawler.crawl_fleet",
                should_stop,
                after=lambda report: publish_readings(metrics, report),
            ),
        ),
        Step(
            "analyse",
            settings.app.model_delay,
            service_hook("analyse", services, "analysis.analyse_pending", should_stop),
            lane=ANALYSIS_LANE,
        ),
        *policy_steps(services, should_stop),
        Step(
            "prune",
            PRUNE_INTERVAL_S,
            prune(services.store, services.daemons, settings.retention.days),
        ),
        Step(
            "heartbeat",
            HEARTBEAT_INTERVAL_S,
            heartbeat(services.daemons, board, lambda: services.queue.heartbeats),
            lane=HEARTBEAT_LANE,
        ),
    ]


def policy_steps(services: Services, should_stop: ShouldStop) -> list[Step]:
    """Decide new advice, run what was approved, then check on what ran."""
    crawl_every = services.config.settings.app.crawler_delay
    hooks = [
        ("remediate", crawl_every, "remediation.remediate_new"),
        ("execute_approved", EXECUTE_APPROVED_INTERVAL_S, "approvals.execute_approved"),
        ("verify", crawl_every, "verifier.verify_due"),
        ("reconcile", HOUSEKEEPING_INTERVAL_S, "reconciler.reconcile"),
        ("expire", HOUSEKEEPING_INTERVAL_S, "approvals.expire_due"),
    ]
    return [
        Step(name, interval, service_hook(name, services, path, should_stop))
        for name, interval, path in hooks
    ]


def service_hook(
    name: str,
    services: Services,
    path: str,
    should_stop: ShouldStop,
    after: Callable[[object], None] = lambda report: None,
) -> StepFn:
    """Call ``services.<path>(should_stop)`` (path: ``attribute.method``) if it exists.

    ``after`` sees the service's report before it becomes the step's outcome.
    """
    attribute, method = path.split(".")
    target = getattr(services, attribute, None)
    if target is None:
        log.info("step %s: not available yet (no Services.%s)", name, attribute)
        return lambda: StepOutcome(summary="not available yet", available=False)
    call: Callable[[ShouldStop], object] = getattr(target, method)

    def run() -> StepOutcome:
        report = call(should_stop)
        after(report)
        return as_outcome(report)

    return run


def publish_readings(metrics: MetricsRegistry, report: object) -> None:
    """Copy a crawl report's ``readings`` ({server: {name: value}}) to /metrics."""
    readings: Mapping[str, Mapping[str, float]] = (
        getattr(report, "readings", None) or {}
    )
    for server, values in readings.items():
        metrics.set_host_readings(server, values)


def as_outcome(result: object) -> StepOutcome:
    """Read a service's report: ``summary`` (str or method), ``failed``, ``degraded``.

    Core cannot return a ``StepOutcome`` (it must not import the daemon), so
    any report with those attributes works; anything else becomes its str().
    """
    if result is None or isinstance(result, StepOutcome):
        return result or StepOutcome()
    summary: Any = getattr(result, "summary", None)
    if callable(summary):
        summary = summary()
    if summary is None:
        return StepOutcome(summary=str(result))
    return StepOutcome(
        summary=str(summary),
        failed=int(getattr(result, "failed", 0) or 0),
        degraded=bool(getattr(result, "degraded", False)),
    )


def prune(store: StoreService, registry: DaemonRegistry, days: int) -> StepFn:
    def run() -> StepOutcome:
        deleted = store.prune(days) + registry.prune(days)
        return StepOutcome(summary=f"pruned {deleted} row(s) older than {days}d")

    return run


def heartbeat(
    registry: DaemonRegistry, board: StatusBoard, live: Callable[[], Heartbeats]
) -> StepFn:
    """Beat in the store (for ``ssop health``) and in the queue, whose entry
    expires by itself when this daemon dies (Redis: ``ssop:daemon:<id>``)."""

    def run() -> None:
        snap = board.snapshot()
        crawl, analyse = snap.step("crawl"), snap.step("analyse")
        info = snap.heartbeat_info()
        registry.beat(
            snap.daemon_id,
            errors=snap.errors,
            last_crawl_at=crawl.last_success_at if crawl else None,
            last_analysis_at=analyse.last_success_at if analyse else None,
            info=info,
        )
        live().beat(
            snap.daemon_id,
            {"errors": snap.errors, **info},
            ttl_s=int(3 * HEARTBEAT_INTERVAL_S),
        )

    return run
