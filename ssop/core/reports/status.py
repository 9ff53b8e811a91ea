"""``ssop status``: the fleet at a glance from stored readings, no SSH.

Each enabled server gets one state, the first that applies:

- ``stale``: nothing heard from it (no sample, no crawl error) for two crawl
  intervals (``app.crawler_delay``), or never;
- ``unreachable``: its newest crawl failed (newer than its newest sample);
- ``critical``: the fullest disk at 98 % or more, memory use at or above
  100 - ``analysis.mem_available_pct`` %, or its last analysis risk is high;
- ``warning``: the fullest disk at ``analysis.disk_percent`` or more, CPU at
  90 % or more, the 1-minute load per core above ``analysis.load_per_core``,
  a failed systemd unit, or its last analysis risk is medium;
- ``ok`` otherwise.

The exit code sums the fleet up: 5 when any server is unreachable, 1 when
any is stale, warning or critical, 0 when every one is ok.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import ExitCode, InvalidInput
from ssop.core.ops.watch import STALE_AFTER_CRAWLS
from ssop.core.store.db import SessionFactory
from ssop.core.store.status_repo import LastSample, ServerLatest, StatusRepo

DISK_CRITICAL = 98.0
CPU_WARNING = 90.0


class ServerState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNREACHABLE = "unreachable"
    STALE = "stale"


@dataclass(frozen=True, kw_only=True)
class StatusRow:
    """One server as its stored readings last saw it."""

    server: str
    state: ServerState
    tags: tuple[str, ...]
    cpu_percent: float | None
    memory_percent: float | None
    disk_max_percent: float | None
    load1: float | None
    failed_units: int | None
    last_risk: str | None
    open_approvals: int
    last_crawl_at: datetime | None
    last_crawl_age_s: float | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FleetStatus:
    generated_at: datetime
    rows: tuple[StatusRow, ...]

    @property
    def exit_code(self) -> ExitCode:
        states = {r.state for r in self.rows}
        if ServerState.UNREACHABLE in states:
            return ExitCode.CONNECTION
        return ExitCode.OK if states <= {ServerState.OK} else ExitCode.ERROR

    def counts(self) -> dict[str, int]:
        """Servers per state, every state named (zeros included)."""
        return {s.value: sum(r.state is s for r in self.rows) for s in ServerState}


@dataclass(frozen=True)
class Thresholds:
    stale_after: timedelta
    disk_warning: float
    memory_critical: float
    load_per_core: float

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        analysis = settings.analysis
        return cls(
            stale_after=timedelta(
                seconds=STALE_AFTER_CRAWLS * settings.app.crawler_delay
            ),
            disk_warning=analysis.disk_percent,
            memory_critical=100.0 - analysis.mem_available_pct,
            load_per_core=analysis.load_per_core,
        )


def parse_states(values: Sequence[str]) -> frozenset[ServerState]:
    """``--state`` values as states; raises InvalidInput for an unknown one."""
    try:
        return frozenset(ServerState(v) for v in values)
    except ValueError:
        names = ", ".join(s.value for s in ServerState)
        bad = next(v for v in values if v not in set(ServerState))
        raise InvalidInput(f"unknown state {bad!r} (choose from {names})") from None


class StatusService:
    def __init__(
        self, sessions: SessionFactory, clock: Clock, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.settings = settings

    @refusals_audited("status", "{tag}")
    def fleet(
        self,
        who: Principal,
        tag: str | None = None,
        states: frozenset[ServerState] = frozenset(),
    ) -> FleetStatus:
        """Every enabled server's state (with ``tag``, only those; with
        ``states``, only servers in one of them), by name.

        Raises:
            PermissionDenied: the caller lacks reports.read.
            NotFound: no server carries ``tag``.
            StoreError: the database failed.
        """
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            require_in(s, now, who, Capability.REPORTS_READ)
            latest = StatusRepo(s).latest(tag)
        if tag and not latest:
            from ssop.core.errors import NotFound

            raise NotFound(f"no enabled server has tag {tag!r}")
        limits = Thresholds.of(self.settings)
        rows = tuple(row_of(x, now, limits) for x in latest)
        wanted = tuple(r for r in rows if not states or r.state in states)
        return FleetStatus(now, wanted)


def row_of(x: ServerLatest, now: datetime, limits: Thresholds) -> StatusRow:
    sample, error = x.sample, x.error
    seen = max((t.at for t in (sample, error) if t is not None), default=None)
    state, reasons = _judge(x, now, seen, limits)
    return StatusRow(
        server=x.name,
        state=state,
        tags=x.tags,
        cpu_percent=sample.cpu_percent if sample else None,
        memory_percent=sample.memory_percent if sample else None,
        disk_max_percent=sample.disk_max_percent if sample else None,
        load1=sample.load1 if sample else None,
        failed_units=sample.failed_unit_count if sample else None,
        last_risk=x.risk,
        open_approvals=x.open_approvals,
        last_crawl_at=seen,
        last_crawl_age_s=None if seen is None else (now - seen).total_seconds(),
        reasons=reasons,
    )


def _judge(
    x: ServerLatest, now: datetime, seen: datetime | None, limits: Thresholds
) -> tuple[ServerState, tuple[str, ...]]:
    if seen is None:
        return ServerState.STALE, ("never crawled",)
    if now - seen > limits.stale_after:
        return ServerState.STALE, (f"no crawl for {_age(now - seen)}",)
    if x.error is not None and (x.sample is None or x.error.at >= x.sample.at):
        return ServerState.UNREACHABLE, (f"last crawl failed: {x.error.cause}",)
    critical, warning = _findings(x.sample, x.risk, limits)
    if critical:
        return ServerState.CRITICAL, critical + warning
    if warning:
        return ServerState.WARNING, warning
    return ServerState.OK, ()


def _findings(
    sample: LastSample | None, risk: str | None, limits: Thresholds
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    critical: list[str] = []
    warning: list[str] = []
    if risk == "high":
        critical.append("last analysis risk high")
    elif risk == "medium":
        warning.append("last analysis risk medium")
    if sample is not None:
        _sample_findings(sample, limits, critical, warning)
    return tuple(critical), tuple(warning)


def _sample_findings(
    sample: LastSample, limits: Thresholds, critical: list[str], warning: list[str]
) -> None:
    disk, memory = sample.disk_max_percent, sample.memory_percent
    if disk is not None and disk >= DISK_CRITICAL:
        critical.append(f"disk {disk:g}%")
    elif disk is not None and disk >= limits.disk_warning:
        warning.append(f"disk {disk:g}%")
    if memory is not None and memory >= limits.memory_critical:
        critical.append(f"memory {memory:g}%")
    if sample.cpu_percent is not None and sample.cpu_percent >= CPU_WARNING:
        warning.append(f"cpu {sample.cpu_percent:g}%")
    cores = sample.cpu_count or 1
    if sample.load1 is not None and sample.load1 / cores > limits.load_per_core:
        warning.append(f"load {sample.load1:g} on {cores} cores")
    if sample.failed_unit_count:
        warning.append(f"{sample.failed_unit_count} failed unit(s)")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"
