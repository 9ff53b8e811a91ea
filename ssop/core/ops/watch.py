"""The rows of ``ssop health`` about what the daemons do, each a ``Check``.

- ``server NAME``: its last crawl failed (unreachable: CONNECTION), or, while
  a daemon runs, it has no reading for two crawl periods (stale: ERROR);
  ``servers`` sums them up.
- ``daemon ID step NAME``: a step whose current run has lasted longer than
  the daemon's ``stall_after_s`` (one crawl period, at least a minute), read
  from the ``running_since`` its heartbeat stores (stalled: ERROR).
- ``automation``: the policy switch; paused is a warning (nothing runs by
  itself until ``ssop resume``), live and shadow mode are OK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from ssop.core.config.schema import PolicySection
from ssop.core.errors import ExitCode
from ssop.core.models import AutomationState, CrawlError
from ssop.core.ops.checks import Check, CheckState
from ssop.core.ops.daemon_registry import DaemonInfo
from ssop.core.policy.facts import is_shadow
from ssop.core.store.db import SessionFactory, translate_errors
from ssop.core.store.metric_repo import MetricRepo
from ssop.core.store.policy_repo import PolicyRepo
from ssop.core.store.server_repo import ServerRepo

STALE_AFTER_CRAWLS = 2
DETAIL_CAP = 160


@dataclass(frozen=True)
class ServerSeen:
    """One enabled server as its crawl history last saw it."""

    name: str
    added_at: datetime
    read_at: datetime | None = None
    error: CrawlError | None = None


def read_watch(
    engine: Engine, sessions: SessionFactory, policy: PolicySection
) -> tuple[list[ServerSeen], AutomationState, list[str]]:
    """Enabled servers with their last reading and error, the switch row, and
    the servers in shadow mode.

    Raises:
        StoreError: the database failed.
    """
    with translate_errors(engine), sessions() as s:
        servers = [x for x in ServerRepo(s).list() if x.enabled]
        read_at, errors = MetricRepo(s).last_read_at(), MetricRepo(s).last_errors()
        state = PolicyRepo(s).state()
    seen = [
        ServerSeen(x.name, x.created_at, read_at.get(x.name), errors.get(x.name))
        for x in servers
    ]
    shadow = [x.name for x in servers if is_shadow(x.name, policy, state)]
    return seen, state, shadow


def server_checks(
    seen: Sequence[ServerSeen], now: datetime, crawl_every_s: float, *, crawling: bool
) -> list[Check]:
    """A row per unreachable or stale server, then the ``servers`` summary.

    Staleness counts only while a daemon runs (``crawling``): without one,
    nothing is meant to read the servers.
    """
    limit = STALE_AFTER_CRAWLS * crawl_every_s
    rows = [_server_check(x, now, limit, crawling) for x in seen]
    problems = [r for r in rows if r is not None]
    return [*problems, _servers_summary(len(seen), problems, crawling)]


def _server_check(
    seen: ServerSeen, now: datetime, limit: float, crawling: bool
) -> Check | None:
    error = seen.error
    if error is not None and (seen.read_at is None or error.at > seen.read_at):
        return _unreachable(seen.name, error, now)
    age = (now - (seen.read_at or seen.added_at)).total_seconds()
    if crawling and age > limit:
        return _stale(seen, age, limit)
    return None


def _unreachable(server: str, error: CrawlError, now: datetime) -> Check:
    age = (now - error.at).total_seconds()
    why = f"{error.cause}: {error.message}"[:DETAIL_CAP]
    detail = f"unreachable: last crawl failed {age:.0f}s ago ({why})"
    data = {"server": server, "problem": "unreachable", "cause": error.cause}
    return Check(
        f"server {server}", CheckState.FAILED, detail, ExitCode.CONNECTION, data
    )


def _stale(seen: ServerSeen, age: float, limit: float) -> Check:
    what = "no reading for" if seen.read_at else "no reading since it was added"
    detail = f"stale: {what} {age:.0f}s (limit {limit:.0f}s, two crawl periods)"
    data = {"server": seen.name, "problem": "stale", "age_s": round(age)}
    return Check(f"server {seen.name}", CheckState.FAILED, detail, ExitCode.ERROR, data)


def _servers_summary(total: int, problems: list[Check], crawling: bool) -> Check:
    if not problems:
        if not total:
            detail = "no enabled server"
        elif not crawling:
            detail = f"{total} enabled, none unreachable (no daemon runs)"
        else:
            detail = f"{total} enabled, each read within two crawl periods"
        return Check("servers", CheckState.OK, detail)
    unreachable = sum(1 for p in problems if p.exit_code is ExitCode.CONNECTION)
    stale = len(problems) - unreachable
    detail = f"{unreachable} unreachable, {stale} stale of {total} enabled"
    code = ExitCode.CONNECTION if unreachable else ExitCode.ERROR
    return Check("servers", CheckState.FAILED, detail, code)


def automation_check(
    state: AutomationState,
    policy: PolicySection,
    shadow: Sequence[str],
    now: datetime,
) -> Check:
    """The policy switch: paused (a warning: nothing runs by itself), or the mode."""
    mode = state.mode or policy.mode
    data: dict[str, Any] = {"paused": state.paused, "mode": mode}
    data["shadow_servers"] = list(shadow)
    if state.paused:
        return Check("automation", CheckState.WARNING, _paused(state, now), data=data)
    if mode == "shadow":
        detail = "shadow mode: nothing runs by itself; what would run is recorded"
    elif shadow:
        detail = f"live; {len(shadow)} server(s) in shadow mode: {', '.join(shadow)}"
    else:
        detail = "live"
    return Check("automation", CheckState.OK, detail[:DETAIL_CAP], data=data)


def step_checks(daemon: DaemonInfo, now: datetime, default_limit: float) -> list[Check]:
    """A row per step of ``daemon`` running longer than its stall limit.

    The heartbeat stores each step's ``running_since`` (see the daemon's
    board); the limit is the daemon's own ``stall_after_s`` when it sent one.
    """
    limit = float(daemon.info.get("stall_after_s") or default_limit)
    steps: Mapping[str, Any] = daemon.info.get("steps") or {}
    rows = [_step_check(daemon.id, n, t, now, limit) for n, t in steps.items()]
    return [r for r in rows if r is not None]


def _step_check(
    daemon_id: str, step: str, times: Mapping[str, Any], now: datetime, limit: float
) -> Check | None:
    since = _when(times.get("running_since"))
    if since is None:
        return None
    running = (now - since).total_seconds()
    if running <= limit:
        return None
    interval = float(times.get("interval_s") or 0)
    detail = (
        f"stalled: step {step} running for {running:.0f} s, interval {interval:.0f} s"
        f" (stalled after {limit:.0f} s)"
    )
    data: dict[str, Any] = {"daemon": daemon_id, "step": step}
    data.update(running_for_s=round(running), interval_s=interval, stall_after_s=limit)
    name = f"daemon {daemon_id} step {step}"
    return Check(name, CheckState.FAILED, detail, ExitCode.ERROR, data)


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _paused(state: AutomationState, now: datetime) -> str:
    since = ""
    if state.paused_at is not None:
        since = f" {(now - state.paused_at).total_seconds():.0f}s ago"
    why = f": {state.reason}" if state.reason else ""
    return f"paused by {state.paused_by or 'someone'}{since}{why} (ssop resume)"
