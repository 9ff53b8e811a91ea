"""Rendezvous hashing with bounded loads: every member agrees, shares differ
by at most one server, and a member joining or leaving moves about its share."""

from __future__ import annotations

from datetime import UTC, datetime

from ssop.core.crawl.rendezvous import (
    assign,
    interval_of,
    interval_start,
    line,
    phase,
    ranked,
    share,
)

SERVERS = [f"h{i:04d}" for i in range(600)]
MEMBERS = ["a:1:x", "b:2:y", "c:3:z"]


def test_shares_partition_the_fleet_evenly() -> None:
    shares = [share(SERVERS, MEMBERS, m) for m in MEMBERS]
    assert sorted(sum(shares, [])) == SERVERS
    assert [len(s) for s in shares] == [200, 200, 200]


def test_any_membership_splits_within_one_server() -> None:
    for n in (0, 1, 7, 59, 60, 200, 601):
        servers = SERVERS[:n] if n <= 600 else [*SERVERS, "extra"]
        for m in range(1, 6):
            members = [f"d:{i}:{n}" for i in range(m)]
            owners = assign(servers, members)
            assert sorted(owners) == sorted(servers)
            loads = [sum(1 for o in owners.values() if o == x) for x in members]
            assert max(loads) - min(loads) <= 1, (n, m, loads)


def test_the_same_membership_gives_the_same_assignment() -> None:
    shuffled = list(reversed(SERVERS))
    assert assign(SERVERS, MEMBERS) == assign(shuffled, list(reversed(MEMBERS)))


def test_most_servers_go_to_their_best_ranked_member() -> None:
    owners = assign(SERVERS, MEMBERS)
    first = sum(1 for s in SERVERS if owners[s] == ranked(s, MEMBERS)[0])
    assert first >= 0.8 * len(SERVERS)


def test_a_member_joining_moves_about_its_share() -> None:
    joined = [*MEMBERS, "d:4:w"]
    before, after = assign(SERVERS, MEMBERS), assign(SERVERS, joined)
    moved = {s for s in SERVERS if before[s] != after[s]}
    assert set(share(SERVERS, joined, "d:4:w")) <= moved
    # the newcomer's quarter, plus a little rebalancing among the others
    assert len(moved) <= 1.5 * len(SERVERS) / len(joined), len(moved)


def test_a_member_leaving_moves_about_its_share() -> None:
    before, after = assign(SERVERS, MEMBERS), assign(SERVERS, MEMBERS[1:])
    moved = {s for s in SERVERS if before[s] != after[s]}
    assert set(share(SERVERS, MEMBERS, MEMBERS[0])) <= moved
    assert len(moved) <= 1.5 * len(SERVERS) / len(MEMBERS), len(moved)


def test_the_line_starts_with_the_owner_and_holds_everyone() -> None:
    owners = assign(SERVERS, MEMBERS)
    for s in SERVERS[:50]:
        order = line(s, MEMBERS, owners)
        assert order[0] == owners[s] and sorted(order) == sorted(MEMBERS)


def test_me_is_always_a_member_of_my_own_share() -> None:
    assert share(["h1", "h2"], [], "solo") == ["h1", "h2"]


def test_intervals_come_from_the_wall_clock() -> None:
    at = datetime(2026, 1, 1, 0, 0, 25, tzinfo=UTC)
    k = interval_of(at, 10.0)
    assert interval_start(k, 10.0) == datetime(2026, 1, 1, 0, 0, 20, tzinfo=UTC)
    assert abs(phase(at, 10.0) - 0.5) < 1e-9
