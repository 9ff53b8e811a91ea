"""The guard rails for one server: configured lists plus every address of ours.

Manual runs and policy both validate parameters through this, so neither can
block the address a server sees ssop connect from, stop a protected unit, or
change a path outside the cleanup roots.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from ssop.core.actions.guards.checks import DEFAULT_PROTECTED_UNITS, GuardConfig
from ssop.core.actions.guards.own_addresses import local_addresses, route_source
from ssop.core.config.schema import GuardsSection
from ssop.core.models import Server

GuardsFor = Callable[[Server], GuardConfig]


class GuardRails:
    def __init__(
        self,
        guards: GuardsSection,
        own_addresses: Callable[[], tuple[str, ...]] = local_addresses,
    ) -> None:
        self.guards = guards
        self._own_addresses = own_addresses

    @cached_property
    def host_addresses(self) -> tuple[str, ...]:
        return self._own_addresses()

    def for_server(self, server: Server) -> GuardConfig:
        own = list(self.host_addresses)
        if not server.local:
            seen_as = route_source(server.host, server.port)
            own += [seen_as] if seen_as else []
        return GuardConfig.from_strings(
            own_addresses=own,
            never_block=self.guards.never_block,
            # configured units add to the defaults: sshd stays protected
            protected_units=(*DEFAULT_PROTECTED_UNITS, *self.guards.protected_units),
            cleanup_roots=self.guards.cleanup_roots,
        )
