"""What the fleet looks like right now, for Prometheus gauges an alert can use.

Read from the store at each scrape, so every daemon of a fleet reports the
same numbers and a restart loses nothing. Counts (failures, executions, model
calls) cover what the store keeps (retention prunes old rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ssop.core.config.schema import PolicySection
from ssop.core.store.db import SessionFactory
from ssop.core.store.gauge_repo import GaugeRepo


@dataclass(frozen=True)
class ServerGauges:
    name: str
    up: bool  # its latest crawl succeeded
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
    def __init__(self, sessions: SessionFactory, policy: PolicySection) -> None:
        self.sessions = sessions
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
                    _server(n, samples.get(n), errors.get(n))
                    for n in repo.enabled_servers()
                ),
                crawl_failures=tuple(repo.crawl_failures()),
                approvals_pending=repo.pending_approvals(),
                automation_paused=bool(state and state.paused),
                policy_shadow=((state and state.mode) or self.policy.mode) == "shadow",
                executions=tuple(repo.executions()),
                llm_calls=tuple(repo.llm_calls()),
            )


def _server(name: str, ok: datetime | None, failed: datetime | None) -> ServerGauges:
    latest = max((t for t in (ok, failed) if t is not None), default=None)
    up = ok is not None and (failed is None or ok >= failed)
    return ServerGauges(name, up, latest)
