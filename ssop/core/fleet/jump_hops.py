"""``server add --jump``: each hop's server name; a hop given as
``user@host:port`` that no server has yet is added as a server first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ssop.core.accounts.permissions import Principal
from ssop.core.fleet.jump_chain import JumpAddress, parse_hops
from ssop.core.fleet.server_input import HostKeyDecision, ServerCreate
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo


class Named(Protocol):
    @property
    def name(self) -> str: ...


class JumpHops:
    def __init__(
        self,
        sessions: SessionFactory,
        add: Callable[[Principal, ServerCreate, HostKeyDecision], Named],
    ) -> None:
        self.sessions = sessions
        self.add = add

    def names(
        self, who: Principal, spec: ServerCreate, decision: HostKeyDecision
    ) -> Sequence[str]:
        """The names of ``spec``'s jump hosts; a hop given as an address that
        no server has yet is added as a server (tag ``jump``), its host key
        pinned as ``decision`` allows (a fingerprint given is the target's)."""
        names: list[str] = []
        for hop in parse_hops(spec.jump):
            if isinstance(hop, str):
                names.append(hop)
                continue
            known = self._server_at(hop)
            names.append(known or self._add_jump(who, hop, spec, decision, names))
        return names

    def _server_at(self, hop: JumpAddress) -> str | None:
        with self.sessions() as s:
            for server in ServerRepo(s).list():
                user_ok = hop.username in (None, server.username)
                if (server.host, server.port) == (hop.host, hop.port) and user_ok:
                    return server.name
        return None

    def _add_jump(
        self,
        who: Principal,
        hop: JumpAddress,
        spec: ServerCreate,
        decision: HostKeyDecision,
        before: Sequence[str],
    ) -> str:
        jump = ServerCreate(
            hop.name,
            hop.host,
            hop.port,
            hop.username or spec.username,
            use_agent=spec.use_agent,
            key=spec.key,
            tags=("jump",),
            description=f"jump host for {spec.name}",
            default_actions=False,
            jump=tuple(before),
        )
        tofu = HostKeyDecision(None, decision.trust_on_first_use, decision.confirm)
        return self.add(who, jump, tofu).name
