"""Who crawls which server: rendezvous hashing with bounded loads, by interval.

Every daemon computes the same answer from the same member and server lists,
with no messages exchanged: a server goes to the member with the highest
``weight(member, server)`` that still has room under an even share. While
membership is stable a server stays with one daemon and its kept-open SSH
connection stays useful; a member joining or leaving moves about its share.

Intervals are numbered from the wall clock (``floor(epoch / every_s)``) so
that daemons on different processes agree on "this interval" without talking.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime


def weight(member: str, server: str) -> int:
    digest = hashlib.blake2b(f"{member}\0{server}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ranked(server: str, members: Iterable[str]) -> list[str]:
    """Members by their weight for ``server``, highest first."""
    return sorted(members, key=lambda m: (weight(m, server), m), reverse=True)


def assign(servers: Iterable[str], members: Iterable[str]) -> dict[str, str]:
    """Each server's owner: rendezvous hashing with bounded loads.

    Plain rendezvous hashing splits unevenly (52/48 for two members on 600
    servers), and the busiest daemon sets the pace. Here each member takes
    ``floor(n/m)`` servers, ``n mod m`` of them one more; servers are placed
    in the order of their best weight, each with its highest-ranked member
    that still has room. The answer depends only on the two sets, so every
    daemon agrees, and a stable membership keeps each server with its daemon.
    """
    everyone = sorted(set(members))
    if not everyone:
        return {}
    rankings = {s: ranked(s, everyone) for s in set(servers)}
    best = {s: weight(order[0], s) for s, order in rankings.items()}
    base, extra = divmod(len(rankings), len(everyone))
    load = dict.fromkeys(everyone, 0)
    owners: dict[str, str] = {}
    for s in sorted(rankings, key=lambda s: (-best[s], s)):
        full = sum(1 for n in load.values() if n > base) >= extra
        room = [
            m for m in rankings[s] if load[m] < base or (load[m] == base and not full)
        ]
        owners[s] = room[0]
        load[room[0]] += 1
    return owners


def line(server: str, members: Iterable[str], owners: Mapping[str, str]) -> list[str]:
    """Members in the order they should take ``server``: its owner first,
    then the others by weight (who takes over when the owner is gone)."""
    first = owners.get(server)
    rest = [m for m in ranked(server, members) if m != first]
    return [first, *rest] if first is not None else rest


def share(servers: Sequence[str], members: Iterable[str], me: str) -> list[str]:
    """The servers of ``servers`` that ``me`` owns among ``members`` (plus me)."""
    owners = assign(servers, set(members) | {me})
    return [s for s in servers if owners[s] == me]


def interval_of(at: datetime, every_s: float) -> int:
    """The number of the crawl interval that ``at`` falls in."""
    return math.floor(at.timestamp() / every_s)


def interval_start(index: int, every_s: float) -> datetime:
    return datetime.fromtimestamp(index * every_s, UTC)


def phase(at: datetime, every_s: float) -> float:
    """How far into its interval ``at`` is, from 0.0 to just under 1.0."""
    position = at.timestamp() / every_s
    return position - math.floor(position)
