"""The fleet as a crawl sees it: servers and their assigned get actions.

Two queries for any fleet size: the servers, then every (server, get
action) assignment at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from ssop.core.models import Action, Server, ServerAction, ServerTag
from ssop.core.models.action import OPT_IN_READINGS, ActionType


class FleetRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def servers(
        self, names: Sequence[str] = (), tag: str | None = None, *, enabled_only: bool
    ) -> list[Server]:
        query = select(Server).order_by(col(Server.name))
        if names:
            query = query.where(col(Server.name).in_(list(names)))
        if tag:
            query = query.join(ServerTag).where(ServerTag.tag == tag)
        if enabled_only:
            query = query.where(col(Server.enabled).is_(True))
        return list(self.s.exec(query))

    def names(self) -> set[str]:
        """Every server's name, enabled or not."""
        return set(self.s.exec(select(Server.name)))

    def get_actions(self, server_ids: Sequence[int]) -> dict[int, list[Action]]:
        """Enabled get actions assigned to each of ``server_ids``."""
        if not server_ids:
            return {}
        query = (
            select(ServerAction.server_id, Action)
            .join(Action, col(ServerAction.action_id) == col(Action.id))
            .where(
                col(ServerAction.server_id).in_(list(server_ids)),
                Action.type == ActionType.COMMAND_GET.value,
                col(Action.enabled).is_(True),
            )
            .order_by(col(Action.name))
        )
        out: dict[int, list[Action]] = {}
        for server_id, action in self.s.exec(query):
            out.setdefault(server_id, []).append(action)
        return out

    def builtin_get_actions(self) -> list[Action]:
        """The built-in get actions a server gets by default: all but the
        opt-in ones (get_auth_failures reads logs; an operator assigns it)."""
        query = select(Action).where(
            col(Action.builtin).is_(True),
            Action.type == ActionType.COMMAND_GET.value,
            col(Action.name).not_in(OPT_IN_READINGS),
        )
        return list(self.s.exec(query.order_by(col(Action.name))))
