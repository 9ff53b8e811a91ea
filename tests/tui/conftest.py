"""Dashboard tests: the policy rig (real store, loopback sshd) under Textual's pilot.

``dashboard(rig, user)`` builds the app as ``ssop tui`` does, without the
poll timer or the Redis listener, on the rig's fixed clock: a test decides
when the screen reloads.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from ssop.core.accounts.permissions import Principal
from ssop.tui.app import Dashboard
from ssop.tui.session import session_of
from ssop.tui.widgets.live_table import LiveTable
from tests.integration.policy import conftest as policy_rigs
from tests.integration.policy.conftest import Rig, RigFactory
from tests.support.policy import fleet, proposal
from tests.support.sshd import Sshd

SIZE = (120, 40)

# the policy suite's rig: a store on both dialects, a loopback sshd with shims
make_rig = policy_rigs.make_rig


@pytest.fixture
def rig(make_rig: RigFactory) -> Rig:
    return make_rig()


def dashboard(rig: Rig, who: Principal, start: str = "approvals") -> Dashboard:
    session = session_of(rig.services, who)
    return Dashboard(session, clock=rig.clock, start=start, poll_s=None, events=False)


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
