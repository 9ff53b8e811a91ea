"""Queries on servers and their tags."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ssop.core.errors import Conflict, NotFound
from ssop.core.models import Server, ServerTag


class ServerRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, name: str) -> Server:
        server = self.find(name)
        if server is None:
            raise NotFound(f"no server named {name!r}", hint="see: ssop server list")
        return server

    def find(self, name: str) -> Server | None:
        return self.s.exec(select(Server).where(Server.name == name)).first()

    def list(
        self, tag: str | None = None, names: Sequence[str] = ()
    ) -> builtins.list[Server]:
        query = select(Server).order_by(col(Server.name))
        if tag:
            query = query.join(ServerTag).where(ServerTag.tag == tag)
        if names:
            query = query.where(col(Server.name).in_(list(names)))
        return list(self.s.exec(query))

    def add(self, server: Server) -> Server:
        """Raises Conflict when another server took the name meanwhile."""
        self.s.add(server)
        try:
            self.s.flush()
        except IntegrityError as e:
            raise Conflict(f"a server named {server.name!r} already exists") from e
        return server

    def remove(self, server: Server) -> None:
        self.s.delete(server)
        self.s.flush()

    def tags(self, server_id: int) -> builtins.list[str]:
        query = select(ServerTag.tag).where(ServerTag.server_id == server_id)
        return sorted(self.s.exec(query))

    def tags_by_server(self) -> dict[int, builtins.list[str]]:
        out: dict[int, builtins.list[str]] = {}
        for server_id, tag in self.s.exec(select(ServerTag.server_id, ServerTag.tag)):
            out.setdefault(server_id, []).append(tag)
        return {k: sorted(v) for k, v in out.items()}

    def set_tags(self, server_id: int, tags: Sequence[str]) -> None:
        self.s.exec(delete(ServerTag).where(col(ServerTag.server_id) == server_id))
        for tag in sorted(set(tags)):
            self.s.add(ServerTag(server_id=server_id, tag=tag))
        self.s.flush()

    def names_with_key_material(self) -> builtins.list[str]:
        """Names of the servers holding an encrypted key; reads only columns
        of the first schema, so it works on a store not yet upgraded."""
        query = select(Server.name).where(col(Server.key_ciphertext).is_not(None))
        return list(self.s.exec(query.order_by(col(Server.name))))

    def drop_key_material(self) -> int:
        """Forget every encrypted key and passphrase; the servers changed."""
        result = self.s.exec(
            update(Server)
            .where(col(Server.key_ciphertext).is_not(None))
            .values(
                key_ciphertext=None, passphrase_ciphertext=None, key_fingerprint=None
            )
        )
        return int(result.rowcount)

    def with_key_material(self, lock: bool = False) -> builtins.list[Server]:
        """Servers holding an encrypted key; ``lock`` holds their rows to the end
        of the transaction (MariaDB; SQLite locks the whole file on write)."""
        query = select(Server).where(col(Server.key_ciphertext).is_not(None))
        if lock:
            query = query.with_for_update()
        return list(self.s.exec(query.order_by(col(Server.id))))
