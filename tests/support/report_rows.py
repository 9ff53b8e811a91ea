"""Rows written straight into a store for the status and report tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from ssop.core.models import (
    AnalysisRecord,
    CrawlError,
    Server,
    ServerTag,
)
from ssop.core.store.metric_repo import MetricRepo


def server(s: Session, name: str, *tags: str, enabled: bool = True) -> int:
    row = Server(name=name, host="127.0.0.1", enabled=enabled)
    s.add(row)
    s.flush()
    assert row.id is not None
    for tag in tags:
        s.add(ServerTag(server_id=row.id, tag=tag))
    return row.id


def sample(s: Session, name: str, at: datetime, **values: Any) -> None:
    base: dict[str, Any] = {
        "cpu_percent": 10.0,
        "memory_percent": 40.0,
        "disk_max_percent": 50.0,
        "load1": 0.5,
        "cpu_count": 2,
        "failed_unit_count": 0,
    }
    row = {"server_name": name, "at": at, **base, **values}
    MetricRepo(s).add_samples([row])


def crawl_error(s: Session, name: str, at: datetime, cause: str = "timeout") -> None:
    s.execute(insert(CrawlError), [{"server_name": name, "at": at, "cause": cause}])


def analysis(s: Session, name: str, at: datetime, risk: str, **values: Any) -> int:
    fields: dict[str, Any] = {"analyzer": "rules", **values}
    row = AnalysisRecord(server_name=name, at=at, risk=risk, **fields)
    s.add(row)
    s.flush()
    assert row.id is not None
    return row.id
