"""The pool keeps one open transport per server and rebuilds it only when
what it connects with changes."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest

from ssop.core.models import Server
from ssop.core.transport.base import Command, CommandResult
from ssop.core.transport.connection_spec import ConnectionSpec
from ssop.core.transport.pool import TransportPool

BASE = ConnectionSpec(
    name="web1",
    host="10.0.0.1",
    port=22,
    username="ops",
    key_ciphertext="gAAAA-key",
    host_key_type="ssh-ed25519",
    host_key="AAAAC3",
    host_key_fingerprint="SHA256:abc",
)
CHANGED: dict[str, Any] = {
    "local": True,
    "host": "10.0.0.2",
    "port": 2222,
    "username": "root",
    "use_agent": True,
    "key_ciphertext": "gAAAA-other",
    "passphrase_ciphertext": "p",
    "host_key_type": "ssh-rsa",
    "host_key": "AAAAB3",
    "host_key_fingerprint": "SHA256:x",
    "via": replace(BASE, name="bastion", host="10.0.0.9"),
}


class Recorded:
    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self.closed = 0

    def run(self, cmd: Command, *, timeout: float) -> CommandResult:
        return CommandResult("", "", 0, 0.0)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def built() -> list[Recorded]:
    return []


@pytest.fixture
def pool(built: list[Recorded]) -> TransportPool:
    def build(spec: ConnectionSpec) -> Recorded:
        built.append(Recorded(spec))
        return built[-1]

    return TransportPool(build)


def test_every_connection_field_is_covered_by_a_change_below() -> None:
    assert {f.name for f in fields(ConnectionSpec)} - {"name"} == set(CHANGED)


def test_an_equal_spec_loaded_again_reuses_the_open_transport(
    pool: TransportPool, built: list[Recorded]
) -> None:
    first = pool.get(BASE)
    again = pool.get(replace(BASE, key_ciphertext="gAAAA-" + "key"))  # a new str
    assert again is first and len(built) == 1 and built[0].closed == 0


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_a_changed_connection_field_closes_and_rebuilds(
    pool: TransportPool, built: list[Recorded], field: str
) -> None:
    old = pool.get(BASE)
    new = pool.get(replace(BASE, **{field: CHANGED[field]}))
    assert new is not old and new is built[1] and built[0].closed == 1
    assert built[-1].spec == replace(BASE, **{field: CHANGED[field]})
    assert len(pool) == 1


def test_a_server_row_is_reached_through_its_spec(
    pool: TransportPool, built: list[Recorded]
) -> None:
    row = Server(
        name="web1",
        host="10.0.0.1",
        username="ops",
        key_ciphertext="gAAAA-key",
        host_key_type="ssh-ed25519",
        host_key="AAAAC3",
        host_key_fingerprint="SHA256:abc",
        description="not part of the identity",
    )
    assert pool.get(row) is pool.get(BASE)
    assert built[0].spec == BASE


def test_retain_and_discard_close_what_they_drop(
    pool: TransportPool, built: list[Recorded]
) -> None:
    for name in ("web1", "web2", "db1"):
        pool.get(replace(BASE, name=name))
    pool.retain({"web1", "db1"})
    assert [t.closed for t in built] == [0, 1, 0]
    pool.discard("db1")
    assert [t.closed for t in built] == [0, 1, 1]
    assert len(pool) == 1


def test_the_identity_is_a_short_digest_that_ignores_the_name() -> None:
    assert len(BASE.identity()) == 16
    assert BASE.identity() == replace(BASE, name="other").identity()
    assert BASE.identity() != replace(BASE, port=23).identity()
    # None and the text "None" are different keys
    assert (
        replace(BASE, host_key=None).identity()
        != replace(BASE, host_key="None").identity()
    )
