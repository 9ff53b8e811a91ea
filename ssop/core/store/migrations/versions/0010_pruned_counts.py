"""pruned counts: what retention deleted, so the fleet counters never drop

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00

Rows pruned before this revision are not counted: the counters start from
the rows the store holds now and only grow from there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pruned_counts",
        sa.Column(
            "metric", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("a", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("b", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("metric", "a", "b"),
    )


def downgrade() -> None:
    op.drop_table("pruned_counts")
