"""Rendezvous hashing: every member agrees, shares are even, and a member
leaving moves only its own servers."""

from __future__ import annotations

from datetime import UTC, datetime

from ssop.core.crawl.rendezvous import (
    interval_of,
    interval_start,
    owner,
    phase,
    ranked,
    share,
)

SERVERS = [f"h{i:04d}" for i in range(600)]
MEMBERS = ["a:1:x", "b:2:y", "c:3:z"]


def test_shares_partition_the_fleet_evenly() -> None:
    shares = [share(SERVERS, MEMBERS, m) for m in MEMBERS]
    assert sorted(sum(shares, [])) == SERVERS
    assert all(150 <= len(s) <= 250 for s in shares), [len(s) for s in shares]


def test_a_member_leaving_moves_only_its_own_servers() -> None:
    before = {s: owner(s, MEMBERS) for s in SERVERS}
    after = {s: owner(s, MEMBERS[1:]) for s in SERVERS}
    moved = {s for s in SERVERS if before[s] != after[s]}
    assert moved == {s for s in SERVERS if before[s] == MEMBERS[0]}


def test_a_member_joining_takes_only_what_it_wins() -> None:
    joined = [*MEMBERS, "d:4:w"]
    moved = {s for s in SERVERS if owner(s, MEMBERS) != owner(s, joined)}
    assert moved == set(share(SERVERS, joined, "d:4:w"))


def test_ranked_starts_with_the_owner_and_holds_everyone() -> None:
    for s in SERVERS[:20]:
        order = ranked(s, MEMBERS)
        assert order[0] == owner(s, MEMBERS) and sorted(order) == sorted(MEMBERS)


def test_me_is_always_a_member_of_my_own_share() -> None:
    assert share(["h1", "h2"], [], "solo") == ["h1", "h2"]


def test_intervals_come_from_the_wall_clock() -> None:
    at = datetime(2026, 1, 1, 0, 0, 25, tzinfo=UTC)
    k = interval_of(at, 10.0)
    assert interval_start(k, 10.0) == datetime(2026, 1, 1, 0, 0, 20, tzinfo=UTC)
    assert abs(phase(at, 10.0) - 0.5) < 1e-9
