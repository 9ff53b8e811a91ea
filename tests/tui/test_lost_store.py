"""The store goes away under the dashboard: a banner, then recovery by itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.accounts.permissions import Role
from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services
from ssop.tui.widgets.status_line import StatusLine
from tests.fakes.clock import FakeClock
from tests.support.auth import add_user, login
from tests.support.private_mariadb import PrivateMariaDB, running_with_store
from tests.support.tui_seed import seed_activity, seed_fleet
from tests.tui.conftest import SIZE, app_for, settle, shown

pytestmark = [pytest.mark.asyncio, pytest.mark.mariadb, pytest.mark.slow]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[PrivateMariaDB]:
    with running_with_store(tmp_path / "mariadb") as server:
        yield server


@pytest.fixture
def services(
    db: PrivateMariaDB, isolated_env: dict[str, str], clock: FakeClock
) -> Iterator[Services]:
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=db.server_url + "/ssop"),
        system_config=Path("/nonexistent"),
    )
    svc = build_services(config, clock=clock)
    svc.store.upgrade()
    svc.store.seed()
    seed_activity(svc, clock.now(), seed_fleet(svc, clock.now()))
    yield svc
    svc.close()


def banner(app: object) -> str:
    from ssop.tui.app import Dashboard

    assert isinstance(app, Dashboard)
    return str(app.screen.query_one(StatusLine).render())


async def test_a_lost_store_shows_a_banner_and_the_screen_recovers(
    services: Services, db: PrivateMariaDB
) -> None:
    add_user(services, "olga", Role.OPERATOR, "olga-password-1")
    app = app_for(services, login(services, "olga", "olga-password-1"), "approvals")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = shown(app)
        assert len(before) == 2 and "CONNECTION LOST" not in banner(app)

        db.stop()
        app.refresh_live()
        await settle(pilot)
        assert app.live.lost
        assert "CONNECTION LOST" in banner(app)
        assert "store unreachable" in banner(app)
        assert "Traceback" not in banner(app)
        assert shown(app) == before  # the last rows stay on screen

        db.start()
        app.refresh_live()  # what the poll timer does every few seconds
        await settle(pilot)
        assert app.live.lost == ""
        assert "CONNECTION LOST" not in banner(app)
        assert shown(app) == before
