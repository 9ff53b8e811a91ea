"""A manual run of a changing action keeps its paths under guards.cleanup_roots.

Outside the roots it is refused before anything runs and audited like every
other refused run; inside, the command reaches the server behind the
host-side check. Both dialects, a FakeTransport as the server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ssop.core.accounts.permissions import Principal
from ssop.core.actions.catalog import ActionDraft
from ssop.core.actions.scripts import CONFINE_SCRIPT
from ssop.core.config.loader import LoadedConfig
from ssop.core.errors import InvalidInput
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.support.auth import admin
from tests.support.servers import add_server, assign

WIPE = ("rm", "-rf", "/tmp/build")


def yes(_plan: object) -> bool:
    return True


@pytest.fixture
def server() -> FakeTransport:
    return FakeTransport(name="web1")


@pytest.fixture
def services(
    loaded_config: LoadedConfig, clock: FakeClock, server: FakeTransport
) -> Iterator[Services]:
    services = build_services(
        loaded_config, clock=clock, transport_factory=lambda _spec: server
    )
    services.store.seed()
    yield services
    services.close()


@pytest.fixture
def root(services: Services) -> Principal:
    who = admin(services)
    draft = ActionDraft(
        type="command_execute",
        risk="low",
        command="rm -rf {dir}",
        params=("dir:path@/tmp,/srv",),
    )
    services.actions.create(who, draft.spec("wipe_dir"))
    add_server(services, "web1")
    assign(services, "web1", "wipe_dir")
    return who


def test_a_path_outside_the_roots_is_refused_audited_and_never_sent(
    services: Services, root: Principal, server: FakeTransport
) -> None:
    with pytest.raises(InvalidInput, match="/srv/app is outside the cleanup roots"):
        services.runs.run(root, "web1", "wipe_dir", {"dir": "/srv/app"}, confirm=yes)
    assert server.calls == []
    refused = [e for e in services.audit_log.list(root) if e.event == "run.refused"]
    assert [(e.target, e.ok) for e in refused] == [("web1/wipe_dir", False)]
    assert "outside the cleanup roots" in refused[0].detail


def test_a_path_inside_is_sent_behind_the_host_side_check(
    services: Services, root: Principal, server: FakeTransport
) -> None:
    sent = ("sh", "-c", CONFINE_SCRIPT, "sh", "/tmp/build", "/tmp", "/var/tmp", "--")
    server.on(*sent, *WIPE)
    record = services.runs.run(
        root, "web1", "wipe_dir", {"dir": "/tmp/build"}, confirm=yes
    )
    assert server.argvs == [(*sent, *WIPE)]
    assert record.exit_code == 0
