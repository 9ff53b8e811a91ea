"""Counts carried over from pruned rows, so Prometheus counters never drop.

The fleet counters (``ssop_*_total``) count rows of the store; retention
deletes old rows, so the prune adds each label set's count of the rows it
deletes here, in the same transaction, and a scrape adds these to the live
count. One row per (metric, label values); ``b`` is empty for a one-label
metric.
"""

from __future__ import annotations

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class PrunedCount(SQLModel, table=True):
    __tablename__ = "pruned_counts"

    metric: str = Field(max_length=40, primary_key=True)
    a: str = Field(max_length=64, primary_key=True)
    b: str = Field(default="", max_length=64, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)
