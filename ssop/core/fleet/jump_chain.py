"""Jump hosts: parse ``--jump`` hops and resolve a server's chain of them.

``servers.jump`` holds jump servers' names, first hop first. The last hop is
the one ssop connects through; it is reached through the hops before it,
or, when it is the only one, through its own ``jump``. A loop anywhere is
refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ssop.core.errors import Conflict, InvalidInput, NotFound
from ssop.core.fleet.server_input import check_host, check_name, check_port, check_user
from ssop.core.models import Server
from ssop.core.transport.connection_spec import ConnectionSpec

ADDRESS = re.compile(r"^(?:(?P<user>[^@]+)@)?(?P<host>[^:@]+)(?::(?P<port>\d+))?$")
MAX_HOPS = 8

Lookup = Callable[[str], Server | None]


@dataclass(frozen=True)
class JumpAddress:
    """A hop given as ``user@host:port`` rather than a server's name."""

    host: str
    port: int = 22
    username: str | None = None

    @property
    def name(self) -> str:
        """The name a server registered for it gets."""
        base = self.host if self.port == 22 else f"{self.host}-{self.port}"
        return check_name(base.replace(":", "-"), "jump host name")


Hop = str | JumpAddress


def parse_hops(values: Sequence[str]) -> tuple[Hop, ...]:
    """``--jump`` values (repeated or comma-separated) as names or addresses.

    Raises:
        InvalidInput: an empty hop, a malformed address, too many hops.
    """
    hops = [h.strip() for v in values for h in v.split(",")]
    if any(not h for h in hops):
        raise InvalidInput("--jump has an empty hop: give NAME or user@host:port")
    if len(hops) > MAX_HOPS:
        raise InvalidInput(f"--jump has {len(hops)} hops; at most {MAX_HOPS}")
    return tuple(_hop(h) for h in hops)


def _hop(text: str) -> Hop:
    if "@" not in text and ":" not in text:
        return check_name(text, "jump host")
    match = ADDRESS.fullmatch(text)
    if match is None:
        raise InvalidInput(f"invalid jump host {text!r}: expected user@host:port")
    user = match["user"]
    return JumpAddress(
        check_host(match["host"]),
        check_port(int(match["port"] or 22)),
        check_user(user) if user else None,
    )


def hop_names(column: str | None) -> tuple[str, ...]:
    return tuple(h for h in (column or "").split(",") if h)


def spec_with_jumps(server: Server, lookup: Lookup) -> ConnectionSpec:
    """How to reach ``server``, its jump hosts included.

    Raises:
        InvalidInput: the chain loops back on itself, or a jump is local.
        NotFound: a jump host is no server any more.
    """
    via = _via(hop_names(server.jump), lookup, (server.name,))
    return ConnectionSpec.of(server, via)


def _via(
    hops: tuple[str, ...], lookup: Lookup, path: tuple[str, ...]
) -> ConnectionSpec | None:
    if not hops:
        return None
    last = hops[-1]
    if last in path:
        chain = " -> ".join((*path, last))
        raise InvalidInput(f"a loop in the jump hosts: {chain}")
    jump = lookup(last)
    if jump is None:
        raise NotFound(f"server {path[0]}: its jump host {last!r} is no server")
    if jump.local:
        raise InvalidInput(f"server {last} is local: it cannot be a jump host")
    before = hops[:-1] or hop_names(jump.jump)
    return ConnectionSpec.of(jump, _via(before, lookup, (*path, last)))


def require_no_riders(name: str, servers: list[Server]) -> None:
    riders = [x.name for x in servers if name in hop_names(x.jump)]
    if riders:
        raise Conflict(
            f"server {name} is the jump host of {', '.join(riders)}",
            hint="edit those first: ssop server edit NAME --no-jump",
        )
