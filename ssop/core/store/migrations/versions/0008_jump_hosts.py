"""jump hosts: the servers a server is reached through

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:20:00

``servers.jump`` holds the names of the jump servers, first hop first,
comma-separated; NULL (every server before this revision) means direct.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "jump", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("servers", schema=None) as batch_op:
        batch_op.drop_column("jump")
