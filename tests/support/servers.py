"""Server rows written straight into a store, for tests that run actions.

``ssop server add`` is not needed: ``add_server`` writes a row as the server
service would, and ``add_sshd_server`` points one at the test sshd with its
client key encrypted by the store's master key and its host key pinned.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from typing import Any

from ssop.core.models import Server
from ssop.core.services import Services
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo
from tests.support.sshd import Sshd


def add_server(
    services: Services,
    name: str,
    *,
    host: str = "127.0.0.1",
    port: int = 22,
    username: str = "root",
    tags: Sequence[str] = (),
    **fields: Any,
) -> Server:
    server = Server(name=name, host=host, port=port, username=username, **fields)
    with services.sessions() as s, s.begin():
        repo = ServerRepo(s)
        repo.add(server)
        repo.set_tags(server.id or 0, tags)
    return server


def add_sshd_server(
    services: Services,
    sshd: Sshd,
    name: str,
    *,
    address: str | None = None,
    port: int | None = None,
    tags: Sequence[str] = (),
    key: str = "ed25519",
) -> Server:
    """A server row that reaches the test sshd (key encrypted, host key pinned).

    ``address`` and ``port`` send it elsewhere with the same credentials
    (another loopback address of the sshd, or a host that hangs).
    """
    client = sshd.keys[key]
    box = services.secret_box()
    return add_server(
        services,
        name,
        host=address or sshd.host,
        port=port or sshd.port,
        username=getpass.getuser(),
        tags=tags,
        key_ciphertext=box.encrypt(client.pem),
        passphrase_ciphertext=box.encrypt(client.passphrase)
        if client.passphrase
        else None,
        key_fingerprint=client.fingerprint,
        host_key_type=sshd.host_key.key_type,
        host_key=sshd.host_key.base64,
        host_key_fingerprint=sshd.host_key.fingerprint,
    )


def assign(
    services: Services, server: str, *actions: str, automatic: bool = False
) -> None:
    """Assign actions without going through a principal (test set-up only)."""
    with services.sessions() as s, s.begin():
        server_row = ServerRepo(s).get(server)
        for name in actions:
            AssignmentRepo(s).assign(server_row, ActionRepo(s).get(name), automatic)
