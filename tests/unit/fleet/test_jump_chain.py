"""Parsing --jump hops and resolving a server's chain of jump hosts."""

from __future__ import annotations

import pytest

from ssop.core.errors import InvalidInput, NotFound
from ssop.core.fleet.jump_chain import JumpAddress, parse_hops, spec_with_jumps
from ssop.core.models import Server


def servers(**jumps: str | None) -> dict[str, Server]:
    return {
        name: Server(name=name, host=f"10.0.0.{i}", jump=jump)
        for i, (name, jump) in enumerate(jumps.items(), start=1)
    }


def test_hops_are_names_or_addresses_repeated_or_comma_separated() -> None:
    assert parse_hops(["a,ops@10.0.0.9:2222", "b"]) == (
        "a",
        JumpAddress("10.0.0.9", 2222, "ops"),
        "b",
    )
    assert JumpAddress("bastion.example.com").name == "bastion.example.com"


@pytest.mark.parametrize("bad", ["a,,b", "ops@-x:22", "a@b@c", "h:99999"])
def test_a_bad_hop_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_hops([bad])


def test_the_last_hop_is_reached_through_those_before_it_or_its_own_jump() -> None:
    fleet = servers(a=None, b="x", x=None, t="a,b", u="b")
    chained = spec_with_jumps(fleet["t"], fleet.get)
    assert chained.via is not None and chained.via.name == "b"
    assert chained.via.via is not None and chained.via.via.name == "a"
    assert chained.via.via.via is None
    own = spec_with_jumps(fleet["u"], fleet.get)
    assert own.via is not None and own.via.via is not None
    assert own.via.via.name == "x"


def test_a_loop_and_a_missing_jump_are_refused() -> None:
    fleet = servers(a="b", b="a", t="a")
    with pytest.raises(
        InvalidInput, match="a loop in the jump hosts: t -> a -> b -> a"
    ):
        spec_with_jumps(fleet["t"], fleet.get)
    with pytest.raises(NotFound, match="its jump host 'gone' is no server"):
        spec_with_jumps(Server(name="t", host="h", jump="gone"), fleet.get)
