"""A loopback fleet for integration tests and the benchmark: many sshds, each
listening on up to 16 addresses of 127.0.1.0/24 (or on many ports), and the
store rows (encrypted key, pinned host key, get actions) that point at them."""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssop.core.actions.spec import ActionSpec
from ssop.core.services import Services
from ssop.core.transport.base import HostKey
from tests.support.crawl import add_server
from tests.support.sshd import Sshd, start_sshd

MAX_ADDRESSES = 16  # OpenSSH's MAX_LISTEN_SOCKS

# The marks of a module that runs a fleet: one worker runs these modules one
# after another, as each keeps the cores busy with many SSH handshakes or
# several daemons (scripts/test: loadgroup)
FLEET_MODULE_MARKS = [
    pytest.mark.sshd,
    pytest.mark.mariadb,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.xdist_group("fleet"),
]


@dataclass(frozen=True)
class Host:
    """One fleet member: the address to use and the sshd that answers there."""

    name: str
    address: str
    sshd: Sshd


def host_addresses(count: int, first: int = 1) -> list[str]:
    """127.0.1.1, 127.0.1.2, ...; past .254 it continues in 127.0.2.x."""
    out = []
    for i in range(first, first + count):
        out.append(f"127.0.{1 + (i - 1) // 254}.{1 + (i - 1) % 254}")
    return out


def chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def start_fleet(workdir: Path, count: int) -> tuple[list[Sshd], list[Host]]:
    """Enough sshds to give ``count`` hosts, each on its own loopback address."""
    sshds: list[Sshd] = []
    hosts: list[Host] = []
    for n, group in enumerate(chunks(host_addresses(count), MAX_ADDRESSES)):
        sshd = start_sshd(workdir / f"sshd{n}", tuple(group))
        sshds.append(sshd)
        hosts += [
            Host(f"h{len(hosts) + i + 1:04d}", a, sshd) for i, a in enumerate(group)
        ]
    return sshds, hosts


@contextmanager
def running_fleet(workdir: Path, count: int) -> Iterator[list[Host]]:
    """``start_fleet``'s hosts, their sshds stopped on leaving."""
    sshds, hosts = start_fleet(workdir, count)
    try:
        yield hosts
    finally:
        for sshd in sshds:
            sshd.stop()


def register(
    services: Services,
    hosts: Iterable[Host],
    *,
    custom: Iterable[ActionSpec] = (),
    pinned: HostKey | None = None,
    port: int | None = None,
) -> None:
    """Store each host as a server with its sshd's client key and host key.

    ``pinned`` pins another host key; ``port`` points the servers elsewhere
    (a hung or dead port) while keeping valid credentials.
    """
    box = services.secret_box()
    for host in hosts:
        key = host.sshd.keys["ed25519"]
        pin = pinned or host.sshd.host_key
        add_server(
            services,
            host.name,
            custom=custom,
            host=host.address,
            port=port or host.sshd.port,
            username=getpass.getuser(),
            key_ciphertext=box.encrypt(key.pem),
            key_fingerprint=key.fingerprint,
            host_key_type=pin.key_type,
            host_key=pin.base64,
            host_key_fingerprint=pin.fingerprint,
        )
