"""Alembic environment: ssop hands over its engine; no alembic.ini is used."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ssop.core.models import load_all

load_all()

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    context.run_migrations()
