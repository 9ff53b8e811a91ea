"""Dashboard tests: the policy rig (real store, loopback sshd) under Textual's pilot.

``dashboard(rig, user)`` builds the app as ``ssop tui`` does, without the
poll timer or the Redis listener, on the rig's fixed clock: a test decides
when the screen reloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.pilot import Pilot

from ssop.core.accounts.permissions import Principal, Role
from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services
from ssop.core.store.user_repo import UserRepo
from ssop.tui.app import Dashboard
from ssop.tui.session import session_of
from ssop.tui.widgets.live_table import LiveTable
from tests.fakes.clock import FakeClock
from tests.integration.policy import conftest as policy_rigs
from tests.integration.policy.conftest import Rig, RigFactory
from tests.support import services as support
from tests.support.auth import add_user, login
from tests.support.policy import fleet, proposal
from tests.support.sshd import Sshd
from tests.support.tui_seed import seed_activity, seed_fleet

SIZE = (120, 40)
PASSWORD = "dashboard-pw-1"

# the policy suite's rig: a store on both dialects, a loopback sshd with shims
make_rig = policy_rigs.make_rig


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig()


def dashboard(rig: Rig, who: Principal, start: str = "approvals") -> Dashboard:
    return app_for(rig.services, who, start)


def app_for(services: Services, who: Principal, start: str) -> Dashboard:
    session = session_of(services, who)
    return Dashboard(
        session, clock=services.clock, start=start, poll_s=None, events=False
    )


@dataclass
class Seeded:
    """A store (SQLite) holding a seeded fleet, and a user of each role."""

    services: Services
    clock: FakeClock
    names: list[str]

    def user(self, role: Role = Role.OPERATOR) -> Principal:
        name = f"{role.value}1"
        with self.services.sessions() as s:
            known = UserRepo(s).get(name) is not None
        if not known:
            add_user(self.services, name, role, PASSWORD)
        return login(self.services, name, PASSWORD)

    def app(self, start: str, role: Role = Role.OPERATOR) -> Dashboard:
        return app_for(self.services, self.user(role), start)


@pytest.fixture
def seeded(
    tmp_path: Path,
    sqlite_template: Path,
    isolated_env: dict[str, str],
    clock: FakeClock,
) -> Iterator[Seeded]:
    url = support.sqlite_copy(sqlite_template, tmp_path)
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=url),
        system_config=Path("/nonexistent"),
    )
    services = build_services(config, clock=clock)
    services.store.seed()
    names = seed_fleet(services, clock.now())
    seed_activity(services, clock.now(), names)
    yield Seeded(services, clock, names)
    services.close()


async def settle(pilot: Pilot[None]) -> None:
    """Let every worker finish and its messages be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def shown(app: Dashboard) -> list[str]:
    return app.screen.query_one(LiveTable).shown


def queued(rig: Rig, sshd: Sshd, servers: tuple[str, ...] = ("web1",)) -> list[int]:
    """A pending restart_service request on each of ``servers``."""
    fleet(
        rig.services,
        list(servers),
        {"restart_service": False, "reboot_system": False},
        sshd,
    )
    report = rig.process(
        *(
            proposal(server=name, recommendation_id=i + 1)
            for i, name in enumerate(servers)
        )
    )
    ids = [d.request_id for d in report.decided if d.request_id is not None]
    assert len(ids) == len(servers)
    return ids
