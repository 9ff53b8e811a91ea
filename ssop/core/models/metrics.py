"""What crawls saw: parsed readings, raw outputs of custom get actions, failures.

Indexed by (server, time) for the reports and charts that read ranges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Double, Index
from sqlmodel import Field, SQLModel

from ssop.core.models.types import BigId, JsonColumn, LongText, UtcDateTime, utcnow


class MetricSample(SQLModel, table=True):
    __tablename__ = "metric_samples"
    __table_args__ = (
        Index("ix_metric_samples_server_at", "server_name", "at"),
        # status: each server's newest sample is one index dive
        Index("ix_metric_samples_server_id", "server_name", "id"),
        # reports: a time range read from the index alone
        Index(
            "ix_metric_samples_at_cover",
            "at",
            "server_name",
            "cpu_percent",
            "memory_percent",
            "disk_max_percent",
            "load1",
        ),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    server_name: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    cpu_percent: float | None = Field(default=None, sa_type=Double)
    memory_percent: float | None = Field(default=None, sa_type=Double)
    swap_percent: float | None = Field(default=None, sa_type=Double)
    load1: float | None = Field(default=None, sa_type=Double)
    load5: float | None = Field(default=None, sa_type=Double)
    load15: float | None = Field(default=None, sa_type=Double)
    cpu_count: int | None = None
    uptime_s: float | None = Field(default=None, sa_type=Double)
    # The fullest mount, so "disk above N %" is one indexed-column query.
    disk_max_percent: float | None = Field(default=None, sa_type=Double)
    failed_unit_count: int | None = None
    # [{"mount", "percent", "used_kb", "size_kb"}]
    disks: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonColumn)
    failed_units: list[str] = Field(default_factory=list, sa_type=JsonColumn)
    # [{"pid", "name", "cpu_percent", "rss_kb"}]
    top_processes: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JsonColumn
    )
    crawl_duration_s: float | None = Field(default=None, sa_type=Double)
    # [{"address", "count"}]: failed SSH logins since the previous crawl, per
    # source address; None when get_auth_failures is not assigned (or no log).
    auth_failures: list[dict[str, Any]] | None = Field(
        default=None, sa_type=JsonColumn, nullable=True
    )


class SampleSums(SQLModel):
    """One server's samples of one UTC hour or day, summed, kept with every
    write of samples: the reports read whole hours and days here instead of
    every sample.

    Sums and non-NULL counts (not means) so spans add up exactly; a sum over
    no values is 0, its max NULL. Keyed by start first: reports read ranges.
    """

    start: datetime = Field(primary_key=True, sa_type=UtcDateTime)
    server_name: str = Field(primary_key=True, max_length=64)
    samples: int = 0
    last_at: datetime = Field(sa_type=UtcDateTime)
    cpu_n: int = 0
    cpu_sum: float = Field(default=0.0, sa_type=Double)
    cpu_max: float | None = Field(default=None, sa_type=Double)
    memory_n: int = 0
    memory_sum: float = Field(default=0.0, sa_type=Double)
    memory_max: float | None = Field(default=None, sa_type=Double)
    disk_n: int = 0
    disk_sum: float = Field(default=0.0, sa_type=Double)
    disk_max: float | None = Field(default=None, sa_type=Double)
    load_n: int = 0
    load_sum: float = Field(default=0.0, sa_type=Double)


class MetricHour(SampleSums, table=True):
    __tablename__ = "metric_hours"


class MetricDay(SampleSums, table=True):
    __tablename__ = "metric_days"


class ActionOutput(SQLModel, table=True):
    """Raw output of a custom get action from a crawl."""

    __tablename__ = "action_outputs"
    __table_args__ = (Index("ix_action_outputs_server_at", "server_name", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    server_name: str = Field(max_length=64)
    action_name: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    exit_code: int | None = None
    stdout: str = Field(default="", sa_type=LongText)
    stderr: str = Field(default="", sa_type=LongText)
    truncated: bool = False


class CrawlError(SQLModel, table=True):
    """A crawl of one server that failed, with its cause for the reports."""

    __tablename__ = "crawl_errors"
    __table_args__ = (
        Index("ix_crawl_errors_server_at", "server_name", "at"),
        Index("ix_crawl_errors_server_id", "server_name", "id"),
        Index("ix_crawl_errors_at_cover", "at", "server_name", "cause"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    server_name: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    # auth | host_key | timeout | refused | unreachable | command_failed | other
    cause: str = Field(max_length=20, index=True)
    message: str = Field(default="", sa_type=LongText)
    duration_s: float | None = Field(default=None, sa_type=Double)
