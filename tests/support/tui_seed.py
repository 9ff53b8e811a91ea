"""A fleet written straight into a store, for the dashboard's tests and benchmark.

Deterministic from the clock given: names, readings, analyses, executions
and open requests. Some host text carries escape sequences and markup, as a
hostile host or model might send, to show the screens print it plainly.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session

from ssop.core.models import ApprovalRequest, Execution
from ssop.core.services import Services
from tests.support import report_rows as rows

HOSTILE = "\x1b]0;owned\x07[bold red]nginx[/] \x1b[31mfailed\x1b[0m"


HISTORY = 4  # readings before the latest one


def seed_fleet(services: Services, now: datetime, servers: int = 12) -> list[str]:
    """``servers`` servers with readings; returns their names."""
    names = [f"web{i:02d}" if i % 3 else f"db{i:02d}" for i in range(1, servers + 1)]
    with services.sessions() as s, s.begin():
        for i, name in enumerate(names):
            rows.server(s, name, "db" if name.startswith("db") else "web")
            _readings(s, name, i, now)
    return names


def _readings(s: Session, name: str, i: int, now: datetime) -> None:
    if i % 7 == 5:
        return  # never crawled: stale
    at = now - timedelta(seconds=10 + i % 20)
    values = {
        "memory_percent": float(30 + (i * 11) % 60),
        "disk_max_percent": 99.0 if i % 11 == 4 else float(40 + (i * 7) % 45),
        "load1": round((i % 9) * 0.37, 2),
    }
    for k in range(HISTORY, 0, -1):  # earlier crawls: the sparklines' history
        cpu = float((i * 37 + k * 29) % 100)
        rows.sample(s, name, at - timedelta(minutes=k), cpu_percent=cpu, **values)
    rows.sample(s, name, at, cpu_percent=float((i * 37) % 100), **values)
    if i % 13 == 8:
        rows.crawl_error(s, name, now - timedelta(seconds=5), cause="refused")


def seed_activity(services: Services, now: datetime, names: list[str]) -> None:
    """Analyses, executions and two open requests on the first servers."""
    with services.sessions() as s, s.begin():
        for i, name in enumerate(names[:6]):
            risk = ("low", "medium", "high")[i % 3]
            rows.analysis(
                s,
                name,
                now - timedelta(minutes=i + 1),
                risk,
                summary=f"{name}: {HOSTILE}" if i == 1 else f"{name}: {risk} load",
                reasoning="disk and load read from the latest crawl",
                confidence=0.8,
            )
        s.execute(
            insert(Execution),
            [run_row(name, i, now) for i, name in enumerate(names[:5])],
        )
        for i, name in enumerate(names[:2]):
            s.add(_request(name, i, now))


def run_row(name: str, i: int, now: datetime) -> dict[str, object]:
    ok = i % 4 != 2
    return {
        "server_name": name,
        "action_name": "restart_service" if i % 2 else "get_uptime",
        "action_type": "shell",
        "actor": "olga" if i % 2 else "policy",
        "trigger": "approval" if i % 2 else "policy",
        "reason": "nginx.service is failed",
        "params": {"service": "nginx"} if i % 2 else {},
        "command": "systemctl restart -- nginx" if i % 2 else "uptime",
        "status": "succeeded" if ok else "failed",
        "exit_code": 0 if ok else 1,
        "stdout": HOSTILE if i == 3 else "ok",
        "started_at": now - timedelta(minutes=10 * (i + 1)),
        "finished_at": now - timedelta(minutes=10 * (i + 1), seconds=-2),
        "duration_s": 2.0,
    }


def _request(name: str, i: int, now: datetime) -> ApprovalRequest:
    return ApprovalRequest(
        created_at=now - timedelta(minutes=5 * (i + 1)),
        expires_at=now + timedelta(hours=4 - i),
        status="pending_approval",
        trigger="policy",
        server_name=name,
        action_name="restart_service",
        params={"service": "nginx"},
        params_key=f"seed-{i}",
        command="systemctl restart -- nginx",
        spec_hash="seed",
        reasoning=HOSTILE if i == 0 else "nginx.service has failed twice in an hour",
        evidence={"failed_units": ["nginx.service"], "load1": 0.4},
        effective_risk="medium",
        confidence=0.9,
        gate="approval",
        requested_by="policy",
        open_key=f"{name}|restart_service|seed-{i}",
    )
