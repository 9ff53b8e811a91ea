"""What the fleet looks like right now, for Prometheus gauges an alert can use.

Read from the store at each scrape, so every daemon of a fleet reports the
same numbers and a restart loses nothing. The counts (failures, executions,
model calls) include what retention pruned, so they never go down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ssop.core.clock import Clock
from ssop.core.config.schema import AppSection, PolicySection
from ssop.core.ops.watch import STALE_AFTER_CRAWLS
from ssop.core.store.db import SessionFactory
from ssop.core.store.gauge_repo import GaugeRepo


@dataclass(frozen=True)
class ServerGauges:
    name: str
    up: bool  # its latest crawl succeeded, within two crawl periods
    last_crawl: datetime | None  # of the latest crawl, failed or not


@dataclass(frozen=True)
class FleetGauges:
    servers: tuple[ServerGauges, ...]
    crawl_failures: tuple[tuple[str, str, int], ...]  # server, cause, count
    approvals_pending: int
    automation_paused: bool
    policy_shadow: bool  # the whole fleet is in shadow mode
    executions: tuple[tuple[str, str, int], ...]  # status, trigger, count
    llm_calls: tuple[tuple[str, int], ...]  # outcome, count


class FleetGaugeService:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        app: AppSection,
        policy: PolicySection,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.stale_after_s = STALE_AFTER_CRAWLS * app.crawler_delay
        self.policy = policy

    def read(self) -> FleetGauges:
        """The gauges now.

        Raises:
            StoreError: the store cannot be read.
        """
        with self.sessions() as s, s.begin():
            repo = GaugeRepo(s)
            samples, errors = repo.last_samples(), repo.last_errors()
            state = repo.automation()
            return FleetGauges(
                servers=tuple(
                    self._server(n, samples.get(n), errors.get(n))
                    for n in repo.enabled_servers()
                ),
                crawl_failures=tuple(repo.crawl_failures()),
                approvals_pending=repo.pending_approvals(),
                automation_paused=bool(state and state.paused),
                policy_shadow=((state and state.mode) or self.policy.mode) == "shadow",
                executions=tuple(repo.executions()),
                llm_calls=tuple(repo.llm_calls()),
            )

    def _server(
        self, name: str, ok: datetime | None, failed: datetime | None
    ) -> ServerGauges:
        if ok is None:
            return ServerGauges(name, False, failed)
        latest = ok if failed is None else max(ok, failed)
        # A server no crawl has read lately is down too, failed or not.
        fresh = self._age_s(ok) <= self.stale_after_s
        return ServerGauges(name, fresh and ok >= latest, latest)

    def _age_s(self, at: datetime) -> float:
        return (self.clock.now() - at).total_seconds()
