"""Kept-open transports, one per server, reused across crawls and runs.

A transport is rebuilt when what it connects with changes (address, user,
key or pinned host key), and closed when its server is edited or removed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection

from ssop.core.models import Server
from ssop.core.transport.base import Transport
from ssop.core.transport.connection_spec import ConnectionSpec

TransportBuilder = Callable[[ConnectionSpec], Transport]


class TransportPool:
    def __init__(self, build: TransportBuilder) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._open: dict[str, tuple[bytes, Transport]] = {}

    def get(self, server: Server | ConnectionSpec) -> Transport:
        spec = (
            server if isinstance(server, ConnectionSpec) else ConnectionSpec.of(server)
        )
        identity = spec.identity()
        with self._lock:
            entry = self._open.get(spec.name)
            if entry is not None and entry[0] == identity:
                return entry[1]
        stale = entry[1] if entry is not None else None
        if stale is not None:
            stale.close()
        transport = self._build(spec)
        with self._lock:
            self._open[spec.name] = (identity, transport)
        return transport

    def discard(self, name: str) -> None:
        with self._lock:
            entry = self._open.pop(name, None)
        if entry is not None:
            entry[1].close()

    def retain(self, names: Collection[str]) -> None:
        """Close the transport of each server not in ``names`` (gone from the fleet)."""
        with self._lock:
            gone = [self._open.pop(n) for n in list(self._open) if n not in names]
        for _, transport in gone:
            transport.close()

    def close_all(self) -> None:
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
        for _, transport in entries:
            transport.close()

    def __len__(self) -> int:
        return len(self._open)
