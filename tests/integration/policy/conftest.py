"""A policy rig: a store on both dialects, the real sshd with shims, fakes for the rest.

``make_rig(**policy)`` builds services whose ``policy`` settings are
overridden as given; its executor runs commands over the loopback sshd,
where a ``systemctl`` shim records every call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import load_config
from ssop.core.policy.ports import Proposal
from ssop.core.policy.service import ProcessReport
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, login
from tests.support.policy import (
    FakeReadings,
    RecordingNotifier,
    SshExecutor,
    sshd_builder,
    wire,
)
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd


@dataclass(kw_only=True)
class Rig:
    services: Services
    executor: SshExecutor
    readings: FakeReadings
    notifier: RecordingNotifier
    shims: ShimDir
    clock: FakeClock
    users: dict[str, Principal] = field(default_factory=dict)

    def user(self, name: str, role: Role = Role.OPERATOR) -> Principal:
        if name not in self.users:
            add_user(self.services, name, role, f"{name}-pw")
            self.users[name] = login(self.services, name, f"{name}-pw")
        return self.users[name]

    def process(self, *proposals: Proposal) -> ProcessReport:
        return self.services.remediation.process(list(proposals))

    def systemctl(self) -> list[list[str]]:
        return self.shims.calls("systemctl")


RigFactory = Callable[..., Rig]


@pytest.fixture
def make_rig(
    store_url: str,
    isolated_env: dict[str, str],
    clock: FakeClock,
    sshd: Sshd,
    shims: ShimDir,
) -> Iterator[RigFactory]:
    built: list[Rig] = []

    def make(**policy: Any) -> Rig:
        environ = dict(isolated_env, SSOP_DATABASE_URL=store_url)
        overrides = {f"policy.{k}": v for k, v in policy.items()}
        config = load_config(
            overrides=overrides, environ=environ, system_config=Path("/nonexistent")
        )
        services = build_services(config, clock=clock)
        services.store.seed()
        executor = SshExecutor(services.sessions, clock, sshd_builder(sshd))
        readings = FakeReadings()
        notifier = wire(services, executor, readings)
        shims.write_shim("systemctl")
        rig = Rig(
            services=services,
            executor=executor,
            readings=readings,
            notifier=notifier,
            shims=shims,
            clock=clock,
        )
        built.append(rig)
        return rig

    yield make
    for rig in built:
        rig.executor.close()
        rig.services.close()


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig()
