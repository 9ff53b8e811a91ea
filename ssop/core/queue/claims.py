"""Per-interval claims: who does a piece of work in one interval, decided by Redis.

A claim is a key ``ssop:<kind>:<interval>:<item>`` written with ``SET NX PX``:
the first daemon to write it holds it, the key expires by itself soon after
its interval ends, and nobody can take it over meanwhile. The value is the
holder's token (its daemon id), which a holder reads back to check that the
claim is still its own (fencing).

Redis keeps nothing on disk here: a marker key tells a restarted, empty
Redis apart, so the claims of the running interval can be rebuilt from the
database before anyone claims again (``needs_rebuild``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from ssop.core.errors import QueueUnavailable

MARKER_KIND = "claims"


class Claims(Protocol):
    def claim(
        self, kind: str, interval: int, items: Sequence[str], token: str, ttl_ms: int
    ) -> set[str]:
        """Claim each item for ``interval``; the items this call won.

        Raises: QueueUnavailable.
        """
        ...

    def holders(
        self, kind: str, interval: int, items: Sequence[str]
    ) -> dict[str, str | None]:
        """The token holding each item's claim, None where nobody holds it.

        Raises: QueueUnavailable.
        """
        ...

    def needs_rebuild(self, token: str) -> bool:
        """True once after Redis lost its keys (restarted empty, or first use).

        The caller that gets True seeds the claims the database knows of.
        Raises: QueueUnavailable.
        """
        ...

    def seed(
        self, kind: str, interval: int, holders: Mapping[str, str], ttl_ms: int
    ) -> None:
        """Claim items for their known holders (as ``claim``, never overwriting).

        Raises: QueueUnavailable.
        """
        ...


def interval_gate(
    claims: Claims,
    kind: str,
    now: Callable[[], datetime],
    every_s: float,
    token: str,
) -> Callable[[str], bool]:
    """``gate(item)``: True for the first caller per item and interval, across
    daemons; True as well when Redis is down (doing it twice beats not at all)."""

    def gate(item: str) -> bool:
        k = math.floor(now().timestamp() / every_s)
        try:
            return bool(claims.claim(kind, k, [item], token, int(2 * every_s * 1000)))
        except QueueUnavailable:
            return True

    return gate
