"""metric rollups: hourly and daily per-server sums of the samples, filled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ssop.core.models.types import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("metric_hours", "metric_days")
COLUMNS = (
    "start, server_name, samples, last_at, cpu_n, cpu_sum, cpu_max, memory_n, "
    "memory_sum, memory_max, disk_n, disk_sum, disk_max, load_n, load_sum"
)
FROM_SAMPLES = (
    "COUNT(*), MAX(at), "
    "COUNT(cpu_percent), COALESCE(SUM(cpu_percent), 0), MAX(cpu_percent), "
    "COUNT(memory_percent), COALESCE(SUM(memory_percent), 0), MAX(memory_percent), "
    "COUNT(disk_max_percent), COALESCE(SUM(disk_max_percent), 0), "
    "MAX(disk_max_percent), COUNT(load1), COALESCE(SUM(load1), 0)"
)
FROM_HOURS = (
    "SUM(samples), MAX(last_at), SUM(cpu_n), SUM(cpu_sum), MAX(cpu_max), "
    "SUM(memory_n), SUM(memory_sum), MAX(memory_max), SUM(disk_n), SUM(disk_sum), "
    "MAX(disk_max), SUM(load_n), SUM(load_sum)"
)


def upgrade() -> None:
    for name in TABLES:
        op.create_table(
            name,
            sa.Column("start", UtcDateTime(), nullable=False),
            sa.Column(
                "server_name",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
            ),
            sa.Column("samples", sa.Integer(), nullable=False),
            sa.Column("last_at", UtcDateTime(), nullable=False),
            sa.Column("cpu_n", sa.Integer(), nullable=False),
            sa.Column("cpu_sum", sa.Double(), nullable=False),
            sa.Column("cpu_max", sa.Double(), nullable=True),
            sa.Column("memory_n", sa.Integer(), nullable=False),
            sa.Column("memory_sum", sa.Double(), nullable=False),
            sa.Column("memory_max", sa.Double(), nullable=True),
            sa.Column("disk_n", sa.Integer(), nullable=False),
            sa.Column("disk_sum", sa.Double(), nullable=False),
            sa.Column("disk_max", sa.Double(), nullable=True),
            sa.Column("load_n", sa.Integer(), nullable=False),
            sa.Column("load_sum", sa.Double(), nullable=False),
            sa.PrimaryKeyConstraint("start", "server_name"),
        )
    _backfill()


def _backfill() -> None:
    """The hours of every stored sample, a day at a time (each day a range
    of the samples' covering time index, not one sort of the whole table),
    then the days from the hours."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        hour = "strftime('%Y-%m-%d %H:00:00.000000', at)"
        day = "strftime('%Y-%m-%d 00:00:00.000000', start)"
    else:
        hour = "DATE_FORMAT(at, '%Y-%m-%d %H:00:00')"
        day = "DATE_FORMAT(start, '%Y-%m-%d 00:00:00')"
    oldest, newest = bind.execute(
        sa.text("SELECT MIN(at), MAX(at) FROM metric_samples")
    ).one()
    if oldest is None:
        return
    hours = sa.text(
        f"INSERT INTO metric_hours ({COLUMNS}) SELECT {hour}, server_name, "
        f"{FROM_SAMPLES} FROM metric_samples WHERE at >= :since AND at < :until "
        f"GROUP BY {hour}, server_name"
    ).bindparams(
        sa.bindparam("since", type_=sa.DateTime()),
        sa.bindparam("until", type_=sa.DateTime()),
    )
    start = _day(oldest)
    while start <= _day(newest):
        bind.execute(hours, {"since": start, "until": start + timedelta(days=1)})
        start += timedelta(days=1)
    bind.execute(
        sa.text(
            f"INSERT INTO metric_days ({COLUMNS}) SELECT {day}, server_name, "
            f"{FROM_HOURS} FROM metric_hours GROUP BY {day}, server_name"
        )
    )


def _day(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite returns MIN(at) as its stored text
        value = datetime.fromisoformat(value)
    return value.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
