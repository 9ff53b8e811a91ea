"""The heartbeat step beats into the queue even while the store is down:
the members are then known from Redis alone (``Membership.live``), and a
silent daemon drops out of them after 30 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.errors import StoreError
from ssop.core.ops.daemon_registry import DaemonRegistry
from ssop.core.queue.memory import MemoryHeartbeats
from ssop.core.store.db import create_engine_for, session_factory
from ssop.daemon.board import StatusBoard
from ssop.daemon.steps import heartbeat
from tests.fakes.clock import FakeClock


def test_a_store_outage_does_not_silence_the_queue_heartbeat(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = create_engine_for(f"sqlite:///{tmp_path / 'gone' / 'ssop.db'}")
    registry = DaemonRegistry(engine, session_factory(engine), clock)
    heartbeats = MemoryHeartbeats(clock)
    beat = heartbeat(
        registry, StatusBoard("vm:1:ab", clock.now(), clock), lambda: heartbeats
    )

    with pytest.raises(StoreError):
        beat()  # the step still reports the store as down

    assert list(heartbeats.alive()) == ["vm:1:ab"]
    engine.dispose()
