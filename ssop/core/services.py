"""The composition root: builds every service from one LoadedConfig.

The CLI, the daemon and the TUI all call ``build_services``; tests call it
with fakes (a clock, a transport factory). Services are created lazily so a
command only pays for what it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from ssop.core.clock import Clock, SystemClock
from ssop.core.config import LoadedConfig
from ssop.core.store.db import SessionFactory, create_engine_for, session_factory

if TYPE_CHECKING:
    from ssop.core.audit import AuditService
    from ssop.core.auth import AuthService
    from ssop.core.daemons import DaemonRegistry
    from ssop.core.health import HealthService
    from ssop.core.store_admin import StoreService
    from ssop.core.transport.base import Endpoint, Transport
    from ssop.core.users import UserService

TransportFactory = Callable[["Endpoint"], "Transport"]


@dataclass
class Services:
    """Typed container of everything a shell needs."""

    config: LoadedConfig
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    transport_factory: TransportFactory | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @cached_property
    def store(self) -> StoreService:
        from ssop.core.store_admin import StoreService

        return StoreService(self.engine, self.sessions)

    @cached_property
    def audit(self) -> AuditService:
        from ssop.core.audit import AuditService

        return AuditService(self.sessions, self.clock)

    @cached_property
    def auth(self) -> AuthService:
        from ssop.core.auth import AuthService

        return AuthService(
            self.sessions, self.clock, self.config.settings.auth, self.audit
        )

    @cached_property
    def users(self) -> UserService:
        from ssop.core.users import UserService

        return UserService(self.sessions, self.clock, self.auth, self.audit)

    @cached_property
    def daemons(self) -> DaemonRegistry:
        from ssop.core.daemons import DaemonRegistry

        return DaemonRegistry(self.engine, self.sessions, self.clock)

    @cached_property
    def health(self) -> HealthService:
        from ssop.core.health import HealthService

        return HealthService(self.config.settings, self.store, self.daemons, self.clock)

    def close(self) -> None:
        self.engine.dispose()


def build_services(
    config: LoadedConfig,
    *,
    clock: Clock | None = None,
    transport_factory: TransportFactory | None = None,
) -> Services:
    engine = create_engine_for(config.database_url())
    return Services(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        clock=clock or SystemClock(),
        transport_factory=transport_factory,
    )
