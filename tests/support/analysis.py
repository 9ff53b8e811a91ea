"""Helpers for analysis tests: readings as values or stored rows, servers with actions.

``reading(**over)`` describes one healthy crawl; tests override what they
need (``disk=95``, ``failed=("nginx.service",)``, ``memory=97``,
``mounts={"/tmp": 96.0}``, ``logins={"203.0.113.7": 12}``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ssop.core.actions.builtin import BUILTINS_BY_NAME
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.readings import AuthFailures
from ssop.core.analysis.base import (
    AllowedAction,
    AnalysisContext,
    CrawlFailure,
    Disk,
    ExecutionBrief,
    Proc,
    Sample,
)
from ssop.core.models import CrawlError, Execution, MetricSample, Server
from ssop.core.services import Services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo

NOW = datetime.fromisoformat("2026-01-15T12:00:00+00:00")
STEP_S = 60.0
HEALTHY_PROCS: tuple[tuple[str, int, float, int], ...] = (
    ("nginx", 101, 2.0, 60_000),
    ("postgres", 102, 3.0, 80_000),
    ("sshd", 103, 0.0, 8_000),
)


def reading(
    *,
    cpu: float = 10.0,
    memory: float = 40.0,
    load1: float = 0.5,
    cores: int = 2,
    disk: float = 50.0,
    failed: Sequence[str] = (),
    procs: Sequence[tuple[str, int, float | None, int]] = HEALTHY_PROCS,
    swap: float = 0.0,
    mounts: Mapping[str, float] | None = None,
    logins: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """One crawl's values: (name, pid, cpu %, rss kB) per process; ``disk`` is
    /'s use, ``mounts`` more file systems, ``logins`` failed SSH logins per
    address (None: not read)."""
    return {
        "cpu": cpu,
        "memory": memory,
        "load1": load1,
        "cores": cores,
        "disk": disk,
        "failed": tuple(failed),
        "procs": tuple(procs),
        "swap": swap,
        "mounts": dict(mounts or {}),
        "logins": None if logins is None else dict(logins),
    }


def _disks(r: Mapping[str, Any]) -> list[tuple[str, float]]:
    return [("/", r["disk"]), ("/boot", 20.0), *r["mounts"].items()]


def _logins(r: Mapping[str, Any]) -> tuple[AuthFailures, ...] | None:
    if r["logins"] is None:
        return None
    return tuple(AuthFailures(a, n) for a, n in r["logins"].items())


def sample_value(r: Mapping[str, Any], at: datetime, sample_id: int) -> Sample:
    return Sample(
        id=sample_id,
        at=at,
        cpu_percent=r["cpu"],
        memory_percent=r["memory"],
        swap_percent=r["swap"],
        load1=r["load1"],
        load5=r["load1"],
        cpu_count=r["cores"],
        disks=tuple(Disk(m, p) for m, p in _disks(r)),
        failed_units=r["failed"],
        processes=tuple(Proc(pid, n, c, rss) for n, pid, c, rss in r["procs"]),
        auth_failures=_logins(r),
    )


def times(count: int, now: datetime = NOW, step_s: float = STEP_S) -> list[datetime]:
    """``count`` crawl times, oldest first, the last one ``now``."""
    return [now - timedelta(seconds=step_s * (count - 1 - i)) for i in range(count)]


def context(
    readings: Sequence[Mapping[str, Any]],
    *,
    actions: Iterable[str] = BUILTINS_BY_NAME,
    server: str = "web1",
    failures: Sequence[CrawlFailure] = (),
    executions: Sequence[ExecutionBrief] = (),
    now: datetime = NOW,
    guards: GuardConfig | None = None,
) -> AnalysisContext:
    samples = tuple(
        sample_value(r, at, i + 1)
        for i, (r, at) in enumerate(
            zip(readings, times(len(readings), now), strict=True)
        )
    )
    return AnalysisContext(
        server=server,
        now=now,
        samples=samples,
        failures=tuple(failures),
        executions=tuple(executions),
        allowed={n: AllowedAction(BUILTINS_BY_NAME[n]) for n in actions},
        guards=guards or GuardConfig(),
    )


def add_server(services: Services, name: str, actions: Iterable[str] = ()) -> None:
    """A local server with ``actions`` assigned (built-ins are seeded already)."""
    with services.sessions() as s, s.begin():
        server = Server(name=name, host="127.0.0.1", local=True)
        s.add(server)
        s.flush()
        for action in actions:
            AssignmentRepo(s).assign(server, ActionRepo(s).get(action), False)


def store_readings(
    services: Services,
    server: str,
    readings: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
) -> None:
    """Plain inserts of MetricSample rows, one per reading, ending at ``now``."""
    end = now or services.clock.now()
    with services.sessions() as s, s.begin():
        for r, at in zip(readings, times(len(readings), end), strict=True):
            s.add(metric_row(server, r, at))


def metric_row(server: str, r: Mapping[str, Any], at: datetime) -> MetricSample:
    return MetricSample(
        server_name=server,
        at=at,
        cpu_percent=r["cpu"],
        memory_percent=r["memory"],
        swap_percent=r["swap"],
        load1=r["load1"],
        load5=r["load1"],
        load15=r["load1"],
        cpu_count=r["cores"],
        disk_max_percent=max(p for _, p in _disks(r)),
        failed_unit_count=len(r["failed"]),
        disks=[
            {"mount": m, "percent": p, "used_kb": 1, "size_kb": 2} for m, p in _disks(r)
        ],
        failed_units=list(r["failed"]),
        top_processes=[
            {"pid": pid, "name": n, "cpu_percent": c, "rss_kb": rss}
            for n, pid, c, rss in r["procs"]
        ],
        auth_failures=None
        if r["logins"] is None
        else [{"address": a, "count": n} for a, n in r["logins"].items()],
    )


def store_crawl_error(
    services: Services, server: str, at: datetime, cause: str
) -> None:
    with services.sessions() as s, s.begin():
        s.add(CrawlError(server_name=server, at=at, cause=cause, message=cause))


def store_execution(
    services: Services,
    server: str,
    action: str,
    params: Mapping[str, str],
    at: datetime,
) -> None:
    with services.sessions() as s, s.begin():
        s.add(
            Execution(
                server_name=server,
                action_name=action,
                action_type="command_execute",
                actor="test",
                trigger="manual",
                params=dict(params),
                status="succeeded",
                exit_code=0,
                started_at=at,
                stdout="password=hunter2 raw log line that must never reach a prompt",
            )
        )
