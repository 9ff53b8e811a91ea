"""day counts: fleet-wide daily counts of executions, analyses and verdicts;
recommendations get a reject code

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ssop.core.models.types import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (what the stored reason says, its code), first match wins; the rest of the
# rejections were parameters that failed their types or guard rails
CODES = (
    ("names server %", "wrong_server"),
    ("action % is not assigned to %", "not_assigned"),
    ("unit % is flapping%", "flapping"),
    ("repeats an earlier recommendation", "repeated"),
    ("ungrounded: %", "ungrounded"),
)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.add_column(
        "recommendations",
        sa.Column("reject_code", _text(32), nullable=False, server_default=""),
    )
    op.create_index(
        "ix_recommendations_at_cover",
        "recommendations",
        ["at", "server_name", "status", "reject_code"],
    )
    op.create_table(
        "execution_days",
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("action_name", _text(64), nullable=False),
        sa.Column("status", _text(16), nullable=False),
        sa.Column("trigger", _text(20), nullable=False),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("timed", sa.BigInteger(), nullable=False),
        sa.Column("duration_sum", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("start", "action_name", "status", "trigger"),
    )
    op.create_table(
        "analysis_days",
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("analyzer", _text(16), nullable=False),
        sa.Column("risk", _text(10), nullable=False),
        sa.Column("analyses", sa.BigInteger(), nullable=False),
        sa.Column("confidence_sum", sa.Double(), nullable=False),
        sa.Column("disagreements", sa.BigInteger(), nullable=False),
        sa.Column("model_calls", sa.BigInteger(), nullable=False),
        sa.Column("tokens_prompt", sa.BigInteger(), nullable=False),
        sa.Column("tokens_completion", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("start", "analyzer", "risk"),
    )
    op.create_table(
        "verdict_days",
        sa.Column("start", UtcDateTime(), nullable=False),
        sa.Column("stage", _text(8), nullable=False),
        sa.Column("outcome", _text(16), nullable=False),
        sa.Column("reason", _text(32), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("start", "stage", "outcome", "reason"),
    )
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    for pattern, code in CODES:
        bind.execute(
            sa.text(
                "UPDATE recommendations SET reject_code = :code WHERE status = "
                "'rejected' AND reject_code = '' AND reject_reason LIKE :pattern"
            ),
            {"code": code, "pattern": pattern},
        )
    bind.execute(
        sa.text(
            "UPDATE recommendations SET reject_code = 'bad_params' "
            "WHERE status = 'rejected' AND reject_code = ''"
        )
    )
    if bind.dialect.name == "sqlite":
        day = "strftime('%Y-%m-%d 00:00:00.000000', {})"
    else:
        day = "DATE_FORMAT({}, '%Y-%m-%d 00:00:00')"
    started, at = day.format("started_at"), day.format("at")
    statements = (
        "INSERT INTO execution_days (start, action_name, status, `trigger`, runs, "
        f"timed, duration_sum) SELECT {started}, action_name, status, `trigger`, "
        "COUNT(*), COUNT(duration_s), COALESCE(SUM(duration_s), 0) FROM executions "
        "WHERE status NOT IN ('claimed', 'running') "
        f"GROUP BY {started}, action_name, status, `trigger`",
        "INSERT INTO analysis_days (start, analyzer, risk, analyses, confidence_sum, "
        "disagreements, model_calls, tokens_prompt, tokens_completion) "
        f"SELECT {at}, analyzer, risk, COUNT(*), COALESCE(SUM(confidence), 0), "
        "COALESCE(SUM(CASE WHEN risk_disagreement THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN analyzer = 'llm' OR llm_error IS NOT NULL "
        "THEN 1 ELSE 0 END), 0), COALESCE(SUM(tokens_prompt), 0), "
        f"COALESCE(SUM(tokens_completion), 0) FROM analyses GROUP BY {at}, "
        "analyzer, risk",
        "INSERT INTO verdict_days (start, stage, outcome, reason, count) "
        f"SELECT {at}, 'guard', status, reject_code, COUNT(*) FROM recommendations "
        f"GROUP BY {at}, status, reject_code",
        "INSERT INTO verdict_days (start, stage, outcome, reason, count) "
        f"SELECT {at}, 'policy', outcome, gate, COUNT(*) FROM policy_decisions "
        f"GROUP BY {at}, outcome, gate",
    )
    for statement in statements:
        if bind.dialect.name == "sqlite":
            statement = statement.replace("`", '"')
        bind.execute(sa.text(statement))


def downgrade() -> None:
    for name in ("verdict_days", "analysis_days", "execution_days"):
        op.drop_table(name)
    op.drop_index("ix_recommendations_at_cover", table_name="recommendations")
    with op.batch_alter_table("recommendations") as batch:
        batch.drop_column("reject_code")
