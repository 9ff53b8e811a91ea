"""Fleet-wide daily counts of what the actions and ai reports aggregate.

Each row sums one UTC day's rows of one key across the whole fleet, kept in
the transaction that writes the rows it counts, so a day's row always
equals a GROUP BY over its raw rows. A report over whole days reads a few
rows per day instead of every run; a report limited to some servers reads
the raw rows of those servers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Double
from sqlmodel import Field, SQLModel

from ssop.core.models.types import UtcDateTime


class ExecutionDay(SQLModel, table=True):
    """Finished executions (any status but running or claimed) by the day
    they started."""

    __tablename__ = "execution_days"

    start: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    action_name: str = Field(max_length=64, primary_key=True)
    status: str = Field(max_length=16, primary_key=True)
    trigger: str = Field(max_length=20, primary_key=True)
    runs: int = Field(default=0, sa_type=BigInteger)
    timed: int = Field(default=0, sa_type=BigInteger)  # runs with a duration
    duration_sum: float = Field(default=0.0, sa_type=Double)


class AnalysisDay(SQLModel, table=True):
    __tablename__ = "analysis_days"

    start: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    analyzer: str = Field(max_length=16, primary_key=True)
    risk: str = Field(max_length=10, primary_key=True)
    analyses: int = Field(default=0, sa_type=BigInteger)
    confidence_sum: float = Field(default=0.0, sa_type=Double)
    disagreements: int = Field(default=0, sa_type=BigInteger)
    model_calls: int = Field(default=0, sa_type=BigInteger)
    tokens_prompt: int = Field(default=0, sa_type=BigInteger)
    tokens_completion: int = Field(default=0, sa_type=BigInteger)


class VerdictDay(SQLModel, table=True):
    """What became of the recommendations: the guard rails' verdicts
    (stage ``guard``: accepted, or rejected with its reason code) and
    policy's decisions (stage ``policy``: outcome and gate)."""

    __tablename__ = "verdict_days"

    start: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    stage: str = Field(max_length=8, primary_key=True)
    outcome: str = Field(max_length=16, primary_key=True)
    reason: str = Field(max_length=32, primary_key=True)
    count: int = Field(default=0, sa_type=BigInteger)
