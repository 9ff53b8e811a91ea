"""How to reach one server: the columns of its row that a transport is built from.

The crawl keeps these for a whole fleet between crawls (to ride out a store
outage) and the pool keys its open transports by them, so they are small
slotted records, not ORM rows with their session state.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass

from ssop.core.models import Server


@dataclass(frozen=True, slots=True)
class ConnectionSpec:
    name: str
    local: bool = False
    host: str = ""
    port: int = 22
    username: str = "root"
    use_agent: bool = False
    key_ciphertext: str | None = None
    passphrase_ciphertext: str | None = None
    host_key_type: str | None = None
    host_key: str | None = None
    host_key_fingerprint: str | None = None
    # the last jump host on the way (itself reached through its own ``via``)
    via: ConnectionSpec | None = None

    @classmethod
    def of(cls, server: Server, via: ConnectionSpec | None = None) -> ConnectionSpec:
        return cls(
            name=server.name,
            local=server.local,
            host=server.host,
            port=server.port,
            username=server.username,
            use_agent=server.use_agent,
            key_ciphertext=server.key_ciphertext,
            passphrase_ciphertext=server.passphrase_ciphertext,
            host_key_type=server.host_key_type,
            host_key=server.host_key,
            host_key_fingerprint=server.host_key_fingerprint,
            via=via,
        )

    def identity(self) -> bytes:
        """Equal exactly when everything a connection is made with is equal
        (the name aside; the jump hosts' included); a 16-byte digest, so a
        pool holding one per server does not keep a second copy of every key."""
        digest = hashlib.blake2b(digest_size=16)
        for value in astuple(self)[1:]:
            digest.update(repr(value).encode())
            digest.update(b"\0")
        return digest.digest()
