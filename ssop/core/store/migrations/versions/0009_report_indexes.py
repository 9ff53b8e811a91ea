"""report indexes: covering time-range indexes, newest row per server

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ix_metric_samples_server_id", "metric_samples", ("server_name", "id")),
    (
        "ix_metric_samples_at_cover",
        "metric_samples",
        (
            "at",
            "server_name",
            "cpu_percent",
            "memory_percent",
            "disk_max_percent",
            "load1",
        ),
    ),
    ("ix_crawl_errors_server_id", "crawl_errors", ("server_name", "id")),
    ("ix_crawl_errors_at_cover", "crawl_errors", ("at", "server_name", "cause")),
    ("ix_analyses_server_id", "analyses", ("server_name", "id")),
    (
        "ix_analyses_at_cover",
        "analyses",
        (
            "at",
            "server_name",
            "analyzer",
            "risk",
            "confidence",
            "risk_disagreement",
            "llm_error",
            "tokens_prompt",
            "tokens_completion",
        ),
    ),
    (
        "ix_executions_started_cover",
        "executions",
        (
            "started_at",
            "server_name",
            "action_name",
            "status",
            "trigger",
            "duration_s",
        ),
    ),
    (
        "ix_policy_decisions_at_cover",
        "policy_decisions",
        ("at", "server_name", "outcome", "gate"),
    ),
    (
        "ix_executions_action_duration",
        "executions",
        ("action_name", "duration_s", "started_at", "server_name"),
    ),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, list(columns), unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
