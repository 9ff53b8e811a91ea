"""Validated shapes of what a user gives to create or change a server."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import HostKey

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$")
USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")


def check_name(value: str, what: str = "server name") -> str:
    if not NAME.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return value


def check_host(value: str) -> str:
    if not HOST.fullmatch(value):
        raise InvalidInput(
            f"invalid host {value!r}: expected a hostname or an IP address"
        )
    return value


def check_port(value: int) -> int:
    if not 1 <= value <= 65535:
        raise InvalidInput(f"invalid port {value}: expected 1-65535")
    return value


def check_user(value: str) -> str:
    if not USER.fullmatch(value):
        raise InvalidInput(f"invalid user name {value!r}")
    return value


@dataclass(frozen=True)
class KeySource:
    """A private key file to read, with its passphrase; read once, never stored plain."""

    path: Path
    passphrase: str | None = None

    def read(self) -> str:
        try:
            data = self.path.read_text()
        except FileNotFoundError:
            raise InvalidInput(f"key file {self.path} does not exist") from None
        except (PermissionError, IsADirectoryError, UnicodeDecodeError) as e:
            raise InvalidInput(f"key file {self.path} cannot be read ({e})") from None
        if "PRIVATE KEY" not in data:
            raise InvalidInput(f"key file {self.path} does not hold a private key")
        return data


@dataclass(frozen=True)
class ServerCreate:
    name: str
    host: str = "localhost"
    port: int = 22
    username: str = "root"
    local: bool = False
    use_agent: bool = False
    key: KeySource | None = None
    tags: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        check_name(self.name)
        check_host(self.host)
        check_port(self.port)
        check_user(self.username)
        for tag in self.tags:
            check_name(tag, "tag")
        if not self.local and not self.use_agent and self.key is None:
            raise InvalidInput("a remote server needs --key-file PATH or --agent")
        if self.local and (self.key or self.use_agent):
            raise InvalidInput("--local runs commands here: it takes no key or agent")
        if len(self.description) > 255:
            raise InvalidInput("description is longer than 255 characters")


@dataclass(frozen=True)
class ServerChanges:
    """Only the fields that are not None change; the key stays unless given."""

    host: str | None = None
    port: int | None = None
    username: str | None = None
    use_agent: bool | None = None
    key: KeySource | None = None
    tags: tuple[str, ...] | None = None
    description: str | None = None
    enabled: bool | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.host is not None:
            check_host(self.host)
        if self.port is not None:
            check_port(self.port)
        if self.username is not None:
            check_user(self.username)
        for tag in self.tags or ():
            check_name(tag, "tag")

    @property
    def moves_host(self) -> bool:
        return self.host is not None or self.port is not None


@dataclass(frozen=True)
class HostKeyDecision:
    """How an unpinned host key may be accepted: a matching fingerprint,
    trust on first use, or a person's answer to ``confirm``."""

    accept_fingerprint: str | None = None
    trust_on_first_use: bool = False
    confirm: Callable[[HostKey], bool] | None = field(default=None, compare=False)
