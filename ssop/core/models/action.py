"""The action catalogue and which actions each server may run."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Double
from sqlmodel import Field, SQLModel

from ssop.core.models.types import JsonColumn, LongText, UtcDateTime, utcnow


class ActionType(StrEnum):
    """How an action runs: a read-only command, a changing command, or HTTP."""

    COMMAND_GET = "command_get"
    COMMAND_EXECUTE = "command_execute"
    HTTP = "http"


# Built-in get actions not assigned by default (server add, quickstart):
# reading the auth logs needs access to them, and an operator should choose it.
AUTH_READING = "get_auth_failures"
OPT_IN_READINGS = (AUTH_READING,)


class Action(SQLModel, table=True):
    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    description: str = Field(default="", max_length=255)
    type: str = Field(max_length=20)
    risk: str = Field(max_length=10)
    timeout_s: float = Field(default=30.0, sa_type=Double)
    # The full validated ActionSpec as JSON: params, command template, http spec.
    spec: dict[str, Any] = Field(default_factory=dict, sa_type=JsonColumn)
    builtin: bool = False
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    notes: str = Field(default="", sa_type=LongText)


class ServerAction(SQLModel, table=True):
    __tablename__ = "server_actions"

    server_id: int = Field(
        foreign_key="servers.id", primary_key=True, ondelete="CASCADE"
    )
    action_id: int = Field(
        foreign_key="actions.id", primary_key=True, ondelete="CASCADE"
    )
    automatic: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
