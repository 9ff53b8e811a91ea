"""Servers ssop watches, with their pinned host key and encrypted credentials."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ssop.core.models.types import LongText, UtcDateTime, utcnow


class Server(SQLModel, table=True):
    __tablename__ = "servers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    host: str = Field(max_length=255)
    port: int = 22
    username: str = Field(default="root", max_length=64)
    local: bool = False
    use_agent: bool = False
    description: str = Field(default="", max_length=255)
    enabled: bool = True
    # jump servers' names, first hop first, comma-separated; None: direct
    jump: str | None = Field(default=None, max_length=255)
    # Fernet tokens; plaintext never reaches the database.
    key_ciphertext: str | None = Field(default=None, sa_type=LongText)
    passphrase_ciphertext: str | None = Field(default=None, sa_type=LongText)
    key_fingerprint: str | None = Field(default=None, max_length=100)
    host_key_type: str | None = Field(default=None, max_length=64)
    host_key: str | None = Field(default=None, sa_type=LongText)
    host_key_fingerprint: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ServerTag(SQLModel, table=True):
    __tablename__ = "server_tags"

    server_id: int = Field(
        foreign_key="servers.id", primary_key=True, ondelete="CASCADE"
    )
    tag: str = Field(max_length=64, primary_key=True, index=True)
