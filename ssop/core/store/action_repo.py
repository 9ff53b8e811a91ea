"""Queries on the action catalogue and on which server may run which action."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from sqlmodel import Session, col, select

from ssop.core.errors import NotFound
from ssop.core.models import Action, Server, ServerAction
from ssop.core.models.types import utcnow


class ActionRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, name: str) -> Action:
        row = self.find(name)
        if row is None:
            raise NotFound(f"no action named {name!r}", hint="see: ssop action list")
        return row

    def find(self, name: str) -> Action | None:
        return self.s.exec(select(Action).where(Action.name == name)).first()

    def list(self, names: Sequence[str] = ()) -> builtins.list[Action]:
        query = select(Action).order_by(col(Action.builtin).desc(), col(Action.name))
        if names:
            query = query.where(col(Action.name).in_(list(names)))
        return list(self.s.exec(query))

    def save(self, row: Action) -> Action:
        row.updated_at = utcnow()
        self.s.add(row)
        self.s.flush()
        return row

    def remove(self, row: Action) -> None:
        self.s.delete(row)
        self.s.flush()


class AssignmentRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def assigned(self, server_id: int) -> builtins.list[tuple[Action, ServerAction]]:
        query = (
            select(Action, ServerAction)
            .join(ServerAction, col(ServerAction.action_id) == col(Action.id))
            .where(ServerAction.server_id == server_id)
            .order_by(col(Action.name))
        )
        return [(a, sa) for a, sa in self.s.exec(query)]

    def find(self, server_id: int, action_id: int) -> ServerAction | None:
        return self.s.get(ServerAction, (server_id, action_id))

    def assign(self, server: Server, action: Action, automatic: bool) -> ServerAction:
        link = self.find(server.id or 0, action.id or 0)
        if link is None:
            link = ServerAction(server_id=server.id or 0, action_id=action.id or 0)
        link.automatic = automatic
        self.s.add(link)
        self.s.flush()
        return link

    def unassign(self, server: Server, action: Action) -> bool:
        link = self.find(server.id or 0, action.id or 0)
        if link is None:
            return False
        self.s.delete(link)
        self.s.flush()
        return True

    def servers_with(self, action_id: int) -> builtins.list[str]:
        query = (
            select(Server.name)
            .join(ServerAction, col(ServerAction.server_id) == col(Server.id))
            .where(ServerAction.action_id == action_id)
        )
        return sorted(self.s.exec(query))
