"""Shared fixtures: an isolated environment and a store on SQLite and MariaDB.

Every test gets its own HOME/XDG folders and none of the developer's
ssop variables. ``store_url`` is parametrised over both dialects, so each
test using it runs twice; MariaDB gets one database per test run (per
xdist worker), cleaned before and after each test.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ssop.core.accounts import passwords
from ssop.core.config.loader import LoadedConfig, load_config
from ssop.core.services import Services, build_services
from ssop.core.store.db import create_engine_for
from tests.fakes.clock import FakeClock
from tests.support import services as support

pytest_plugins = ("tests.support.sshd_fixtures",)

ENV_PREFIXES = ("SSOP_", "MYSQL_", "REDIS_", "OPENAI_", "APP_", "XDG_")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith(ENV_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash at bcrypt cost 4: cost 12 takes ~250 ms a hash, too slow for a suite.

    ``passwords._test_rounds`` is the only way below 12, and only tests set it;
    tests/unit/test_passwords.py proves production hashes use cost 12.
    """
    monkeypatch.setattr(passwords, "_test_rounds", 4)


@pytest.fixture(autouse=True)
def reset_ssop_logging() -> Iterator[None]:
    """Undo ``logsetup.configure`` after each test.

    Its handler holds the stream of the test that called it (a capsys or
    CliRunner stream, closed afterwards), and it stops propagation to caplog.
    """
    yield
    logger = logging.getLogger("ssop")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)
    logger.propagate = True
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == "ssop"]:
        root.removeHandler(handler)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return support.create_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def mariadb_url() -> Iterator[str]:
    url = support.create_mariadb_database()
    yield url
    support.drop_mariadb_database(url)


@pytest.fixture(params=["sqlite", "mariadb"])
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """A migrated, seeded, empty store on each dialect."""
    if request.param == "sqlite":
        url = support.sqlite_copy(sqlite_template, tmp_path)
        yield url
        return
    url = request.getfixturevalue("mariadb_url")
    engine = create_engine_for(url)
    support.clean_tables(engine)
    yield url
    support.clean_tables(engine)
    engine.dispose()


@pytest.fixture
def store_engine(store_url: str) -> Iterator[Engine]:
    engine = create_engine_for(store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def loaded_config(store_url: str, isolated_env: dict[str, str]) -> LoadedConfig:
    environ = dict(isolated_env, SSOP_DATABASE_URL=store_url)
    return load_config(environ=environ, system_config=Path("/nonexistent"))


@pytest.fixture
def services(loaded_config: LoadedConfig, clock: FakeClock) -> Iterator[Services]:
    svc = build_services(loaded_config, clock=clock)
    svc.store.seed()
    yield svc
    svc.close()


@pytest.fixture(scope="session")
def redis_db_index() -> Iterator[int]:
    """A Redis database index no other test process holds (claimed by a lock key)."""
    db = support.claim_redis_database()
    yield db
    support.release_redis_database(db)


@pytest.fixture
def redis_db(redis_db_index: int) -> Iterator[int]:
    """This test run's own Redis database, flushed before and after each test."""
    client = support.redis_client(redis_db_index)
    support.flush_keeping_claim(client)
    yield redis_db_index
    support.flush_keeping_claim(client)
    client.close()
