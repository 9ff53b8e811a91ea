"""Membership: live when Redis or the store vouches for a daemon; either
source may be down; ``ssop health`` shows a member's share."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from ssop.core.errors import QueueUnavailable, StoreError
from ssop.core.ops.daemon_registry import DaemonInfo, DaemonRegistry, DaemonState
from ssop.core.ops.health import share_detail
from ssop.core.ops.membership import Membership
from ssop.core.queue.base import Heartbeats
from tests.fakes.clock import FakeClock


class Registry:
    def __init__(self, rows: list[DaemonInfo] | None = None) -> None:
        self.rows = rows

    def list(self) -> tuple[DaemonInfo, ...]:
        if self.rows is None:
            raise StoreError("store down")
        return tuple(self.rows)


class Beats:
    def __init__(self, ids: list[str] | None) -> None:
        self.ids = ids

    def beat(self, daemon_id: str, info: Mapping[str, Any], ttl_s: float) -> None:
        raise NotImplementedError

    def alive(self) -> dict[str, dict[str, Any]]:
        if self.ids is None:
            raise QueueUnavailable("redis down")
        return {i: {} for i in self.ids}


def row(
    clock: FakeClock, daemon_id: str, age_s: float, status: DaemonState, **info: Any
) -> DaemonInfo:
    seen = clock.now() - timedelta(seconds=age_s)
    host, pid, _ = daemon_id.split(":")
    return DaemonInfo(
        id=daemon_id,
        hostname=host,
        pid=int(pid),
        started_at=seen,
        last_seen_at=seen,
        last_crawl_at=None,
        last_analysis_at=None,
        status=status,
        errors=0,
        info=info,
    )


def membership(
    clock: FakeClock, rows: list[DaemonInfo] | None, ids: list[str] | None
) -> Membership:
    registry = cast(DaemonRegistry, Registry(rows))
    return Membership(
        registry, lambda: cast(Heartbeats, Beats(ids)), clock, expiry_s=30.0
    )


def test_live_is_the_union_of_redis_and_fresh_running_rows() -> None:
    clock = FakeClock()
    rows = [
        row(clock, "a:1:x", 5, DaemonState.RUNNING),
        row(clock, "b:2:y", 45, DaemonState.RUNNING),  # silent too long
        row(clock, "c:3:z", 1, DaemonState.STOPPED),
    ]
    assert membership(clock, rows, ["d:4:w"]).live() == {"a:1:x", "d:4:w"}


def test_either_source_alone_still_answers() -> None:
    clock = FakeClock()
    rows = [row(clock, "a:1:x", 5, DaemonState.RUNNING)]
    assert membership(clock, rows, None).live() == {"a:1:x"}  # Redis restarted
    assert membership(clock, None, ["b:2:y"]).live() == {"b:2:y"}  # store down


def test_health_names_a_members_share() -> None:
    clock = FakeClock()
    shared = row(
        clock,
        "a:1:x",
        1,
        DaemonState.RUNNING,
        crawled_last_interval=200,
        connections=200,
        members=3,
    )
    assert (
        share_detail(shared)
        == "; member of 3: crawled 200 server(s) last interval, 200 connection(s)"
    )
    assert share_detail(row(clock, "b:2:y", 1, DaemonState.RUNNING)) == ""
