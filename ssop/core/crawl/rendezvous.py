"""Who crawls which server: rendezvous hashing over the live daemons, by interval.

Every daemon computes the same answer from the same member list, with no
messages exchanged: a server goes to the member with the highest
``weight(member, server)``. A member joining or leaving moves only the
servers it wins or held, so while membership is stable a server stays with
one daemon and its kept-open SSH connection stays useful.

Intervals are numbered from the wall clock (``floor(epoch / every_s)``) so
that daemons on different processes agree on "this interval" without talking.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime


def weight(member: str, server: str) -> int:
    digest = hashlib.blake2b(f"{member}\0{server}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ranked(server: str, members: Iterable[str]) -> list[str]:
    """Members in the order they should take ``server``: owner first."""
    return sorted(members, key=lambda m: (weight(m, server), m), reverse=True)


def owner(server: str, members: Iterable[str]) -> str:
    """The member that crawls ``server`` while membership is ``members``."""
    return ranked(server, members)[0]


def share(servers: Sequence[str], members: Iterable[str], me: str) -> list[str]:
    """The servers of ``servers`` that ``me`` owns among ``members`` (plus me)."""
    everyone = set(members) | {me}
    return [s for s in servers if owner(s, everyone) == me]


def interval_of(at: datetime, every_s: float) -> int:
    """The number of the crawl interval that ``at`` falls in."""
    return math.floor(at.timestamp() / every_s)


def interval_start(index: int, every_s: float) -> datetime:
    return datetime.fromtimestamp(index * every_s, UTC)


def phase(at: datetime, every_s: float) -> float:
    """How far into its interval ``at`` is, from 0.0 to just under 1.0."""
    position = at.timestamp() / every_s
    return position - math.floor(position)
