"""Users, the role -> capability matrix and login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ssop.core.models.types import UtcDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=100)
    role: str = Field(max_length=16)
    disabled: bool = False
    locked_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class RoleCapability(SQLModel, table=True):
    __tablename__ = "role_capabilities"

    role: str = Field(max_length=16, primary_key=True)
    capability: str = Field(max_length=64, primary_key=True)


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
