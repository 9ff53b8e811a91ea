"""Fixtures for every suite: a real sshd on loopback and broken hosts.

``sshd`` (session): a running ``tests.support.sshd.Sshd``; ``sshd.endpoint()``
gives a working Endpoint. ``shims`` (function): its ShimDir, emptied before
and after each test. ``hung_host`` / ``dead_host``: ``(host, port)`` of a
port that never answers / refuses connections.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.shims import ShimDir
from tests.support.sshd import Sshd, dead_host, hung_host, start_sshd

# a second address proves one sshd serves several "hosts" on 127/8
SSHD_ADDRESSES = ("127.0.0.1", "127.0.1.2")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"), SSHD_ADDRESSES)
    yield server
    server.stop()


@pytest.fixture
def shims(sshd: Sshd) -> Iterator[ShimDir]:
    sshd.shims.reset()
    yield sshd.shims
    sshd.shims.reset()


@pytest.fixture(name="hung_host")
def hung_host_fixture() -> Iterator[tuple[str, int]]:
    with hung_host() as address:
        yield address


@pytest.fixture(name="dead_host")
def dead_host_fixture() -> tuple[str, int]:
    return dead_host()
