"""MariaDB stopped in the middle of a crawl and started again later: the crawl
keeps going, readings wait in memory, and nothing is lost or stored twice.

Runs against a private mariadbd (the shared one serves other test runs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.crawl.host_visit import FIRST_READINGS, READINGS
from ssop.core.services import Services, build_services
from ssop.core.transport.base import Command, CommandResult
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.support.crawl import FIRST_OUTPUT, SAMPLE_B, FakeFleet, add_server, samples
from tests.support.private_mariadb import PrivateMariaDB, running_with_store

pytestmark = [pytest.mark.mariadb, pytest.mark.slow]

NAMES = ("a1", "a2", "a3", "a4")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[PrivateMariaDB]:
    with running_with_store(tmp_path / "mariadb") as server:
        yield server


@pytest.fixture
def fleet() -> FakeFleet:
    return FakeFleet()


@pytest.fixture
def svc(
    db: PrivateMariaDB, fleet: FakeFleet, isolated_env: dict[str, str]
) -> Iterator[Services]:
    config = load_config(
        environ=dict(isolated_env, SSOP_DATABASE_URL=db.server_url + "/ssop"),
        system_config=Path("/nonexistent"),
        overrides={"daemon.concurrency": 1},
    )
    services = build_services(config, clock=FakeClock(), transport_factory=fleet.build)
    services.store.upgrade()
    yield services
    services.close()


def host(db: PrivateMariaDB, *, stops_the_store: bool) -> FakeTransport:
    """A host; one that ``stops_the_store`` takes MariaDB down on its second visit."""
    visits: list[Command] = []

    def then_stop(cmd: Command) -> CommandResult:
        visits.append(cmd)
        if len(visits) == 1:
            db.stop()
        return CommandResult(SAMPLE_B, "", 0, 0.0)

    fake = FakeTransport().on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
    fake.script[READINGS.argv] = (
        then_stop if stops_the_store else (CommandResult(SAMPLE_B, "", 0, 0.0))
    )
    return fake


def test_a_store_outage_mid_crawl_loses_nothing(
    svc: Services, fleet: FakeFleet, db: PrivateMariaDB
) -> None:
    for name in NAMES:
        add_server(svc, name)
        fleet.add(name, host(db, stops_the_store=name == "a2"))
    before = svc.crawler.crawl_fleet()
    assert before.stored == len(NAMES)

    during = svc.crawler.crawl_fleet()  # a2 stops MariaDB mid-crawl
    assert during.failed == 0 and during.pending == len(NAMES)
    assert during.store_error is not None and "cannot reach" in during.store_error

    while_down = svc.crawler.crawl_fleet()  # the fleet comes from memory
    assert [h.server for h in while_down.hosts] == list(NAMES)
    assert while_down.pending == 2 * len(NAMES)

    db.start()
    after = svc.crawler.crawl_fleet()
    assert after.pending == 0 and after.stored == 3 * len(NAMES)
    assert not after.degraded and after.dropped == 0
    rows = samples(svc)
    assert len(rows) == 4 * len(NAMES)
    assert sorted(r.server_name for r in rows) == sorted(NAMES * 4)
    assert len(svc.queue.work_queue.claim("t", 100)) == 4 * len(NAMES)
