"""audit outcome: what kind of refusal or failure an audit row records

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00

Rows written before this revision keep everything they held; their outcome
is read from ``ok``: failed logins were refusals ("denied"), any other row
with ``ok`` false "failed".
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "outcome",
                sqlmodel.sql.sqltypes.AutoString(length=16),
                nullable=False,
                server_default="ok",
            )
        )
        batch_op.create_index("ix_audit_events_ok_at", ["ok", "at"], unique=False)
    events = sa.table(
        "audit_events",
        sa.column("ok", sa.Boolean()),
        sa.column("event", sa.String()),
        sa.column("outcome", sa.String()),
    )
    failed = events.c.ok == sa.false()
    op.execute(
        events.update()
        .where(failed, events.c.event.like("login.%"))
        .values(outcome="denied")
    )
    op.execute(
        events.update().where(failed, events.c.outcome == "ok").values(outcome="failed")
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_ok_at")
        batch_op.drop_column("outcome")
