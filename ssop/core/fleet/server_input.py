"""Validated shapes of what a user gives to create or change a server."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import HostKey

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
HOST_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
DEFAULT_PORT = 22
DEFAULT_USER = "root"
LOCAL_HOST = "localhost"
MAX_KEY_FILE_BYTES = 64 * 1024


def check_name(value: str, what: str = "server name") -> str:
    if not NAME.fullmatch(value):
        raise InvalidInput(
            f"invalid {what} {value!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    return value


def check_host(value: str) -> str:
    """A hostname or an IP address; never something ssh could read as an option."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.removesuffix(".").split(".")
    if len(value) > 253 or not all(HOST_LABEL.fullmatch(x) for x in labels):
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


def check_fingerprint(value: str) -> str:
    if not FINGERPRINT.fullmatch(value):
        raise InvalidInput(
            f"invalid host key fingerprint {value!r}: expected SHA256:<43 characters>"
            " as ssh-keygen -lf prints it"
        )
    return value


def check_description(value: str) -> str:
    if len(value) > 255:
        raise InvalidInput("description is longer than 255 characters")
    return value


@dataclass(frozen=True)
class KeySource:
    """A private key file and its passphrase; read once, never stored in the clear."""

    path: Path
    passphrase: str | None = field(default=None, repr=False)

    def read(self) -> str:
        """The file's text.

        Raises:
            InvalidInput: missing, unreadable, too large, not text, or it
                holds no private key.
        """
        try:
            with self.path.open("rb") as fh:
                data = fh.read(MAX_KEY_FILE_BYTES + 1)
        except FileNotFoundError:
            raise InvalidInput(f"key file {self.path} does not exist") from None
        except OSError as e:
            reason = e.strerror or type(e).__name__
            raise InvalidInput(
                f"key file {self.path} cannot be read: {reason}"
            ) from None
        if len(data) > MAX_KEY_FILE_BYTES:
            raise InvalidInput(f"key file {self.path} is too large for a private key")
        text = data.decode("utf-8", "replace")
        if "PRIVATE KEY-----" not in text:
            raise InvalidInput(f"key file {self.path} does not hold a private key")
        return text


@dataclass(frozen=True)
class ServerCreate:
    """A new server. A remote one needs a host and a key or the agent; a
    local one (this machine, no SSH) takes none of host, port, user or key."""

    name: str
    host: str | None = None
    port: int | None = None
    username: str | None = None
    _: KW_ONLY
    local: bool = False
    use_agent: bool = False
    key: KeySource | None = None
    tags: tuple[str, ...] = ()
    description: str = ""
    # the built-in read-only get actions, so the next crawl already watches it
    default_actions: bool = True
    # --jump values as given (names or user@host:port); fleet.jump_chain parses
    jump: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.name)
        for tag in self.tags:
            check_name(tag, "tag")
        check_description(self.description)
        if self.local:
            self._check_local()
        else:
            self._check_remote()

    def _check_local(self) -> None:
        given = [self.host, self.port, self.username, self.key]
        if any(v is not None for v in given) or self.use_agent or self.jump:
            raise InvalidInput(
                "--local runs commands on this machine without SSH: "
                "it takes no --host, --port, --user, --key-file, --agent or --jump"
            )

    def _check_remote(self) -> None:
        if self.host is None:
            raise InvalidInput("a remote server needs --host (or use --local)")
        check_host(self.host)
        check_port(self.port_or_default)
        check_user(self.user_or_default)
        if not self.use_agent and self.key is None:
            raise InvalidInput("a remote server needs --key-file PATH or --agent")

    @property
    def host_or_default(self) -> str:
        return self.host or LOCAL_HOST

    @property
    def port_or_default(self) -> int:
        return DEFAULT_PORT if self.port is None else self.port

    @property
    def user_or_default(self) -> str:
        return self.username or DEFAULT_USER


@dataclass(kw_only=True, frozen=True)
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
    # names of existing servers, first hop first; () goes direct again
    jump: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.host is not None:
            check_host(self.host)
        if self.port is not None:
            check_port(self.port)
        if self.username is not None:
            check_user(self.username)
        for tag in self.tags or ():
            check_name(tag, "tag")
        if self.description is not None:
            check_description(self.description)

    @property
    def moves_host(self) -> bool:
        return self.host is not None or self.port is not None

    @property
    def touches_login(self) -> bool:
        """Changes something a local server does not have."""
        login = (self.host, self.port, self.username, self.use_agent, self.key)
        return any(v is not None for v in login) or self.jump is not None

    @property
    def changed(self) -> list[str]:
        """Names of the fields given, for the audit trail (never values)."""
        return sorted(k for k, v in vars(self).items() if v is not None)


@dataclass(frozen=True)
class HostKeyDecision:
    """How an unpinned host key may be accepted: a matching fingerprint,
    trust on first use, or a person's answer to ``confirm``."""

    accept_fingerprint: str | None = None
    trust_on_first_use: bool = False
    confirm: Callable[[HostKey], bool] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.accept_fingerprint is not None:
            check_fingerprint(self.accept_fingerprint)
            if self.trust_on_first_use:
                raise InvalidInput(
                    "give either --accept-host-key or --trust-on-first-use, not both"
                )
