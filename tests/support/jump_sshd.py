"""A second loopback sshd that acts as a jump host for the session's sshd.

Import ``jump_sshd`` into a test module to use it as a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sshd import Sshd, start_sshd

JUMP_ADDRESS = "127.0.3.1"


@pytest.fixture(scope="module")
def jump_sshd(tmp_path_factory: pytest.TempPathFactory, sshd: Sshd) -> Iterator[Sshd]:
    """The jump host; it also lets in the session sshd's ed25519 key."""
    server = start_sshd(tmp_path_factory.mktemp("jump-sshd"), (JUMP_ADDRESS,))
    shared = Path(f"{sshd.keys['ed25519'].path}.pub").read_text()
    with (server.log_path.parent / "authorized_keys").open("a") as fh:
        fh.write(shared)
    yield server
    server.stop()
