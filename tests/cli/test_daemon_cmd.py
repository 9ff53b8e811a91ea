"""``ssop daemon --once`` end to end on the test store."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from ssop.core.errors import ExitCode
from ssop.core.ops.daemon_registry import DaemonRegistry, DaemonState
from ssop.core.store.db import create_engine_for, session_factory
from ssop.daemon.lock import lock_path
from tests.cli.conftest import ADMIN_PASSWORD, Cli
from tests.fakes.clock import FakeClock


def daemons(store_url: str) -> list[tuple[str, DaemonState]]:
    engine = create_engine_for(store_url)
    found = DaemonRegistry(engine, session_factory(engine), FakeClock()).list()
    engine.dispose()
    return [(d.id, d.status) for d in found]


def test_once_runs_every_step_registers_and_deregisters(
    cli: Cli, store_url: str
) -> None:
    result = cli("daemon", "--once")
    assert result.exit_code == ExitCode.OK, result.output
    ((daemon_id, status),) = daemons(store_url)
    assert daemon_id.startswith(f"{socket.gethostname()}:")
    assert status is DaemonState.STOPPED
    err = result.stderr
    assert f'msg="daemon {daemon_id}: ready (once)"' in err
    assert 'msg="crawl: crawled 0 server(s) in ' in err
    assert "step analyse: not available" not in err
    assert f'msg="daemon {daemon_id}: stopped"' in err


def test_a_missing_store_is_a_start_up_error(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "new.db"
    result = cli("daemon", "--once", SSOP_DATABASE_URL=f"sqlite:///{missing}")
    assert result.exit_code == ExitCode.ERROR
    assert f"ssop: error: no store at {missing}" in result.stderr
    assert not missing.exists() and not lock_path(missing).exists()


def test_an_uninitialised_store_is_a_start_up_error(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    result = cli("daemon", "--once", SSOP_DATABASE_URL=f"sqlite:///{empty}")
    assert result.exit_code == ExitCode.ERROR
    assert "ssop: error: the store is not initialised" in result.stderr


def test_an_invalid_config_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[app\n")
    result = cli("daemon", "--once", SSOP_CONFIG=str(bad))
    assert result.exit_code == ExitCode.USAGE
    assert f"ssop: error: config file {bad}: not valid TOML" in result.stderr


def test_the_cli_loads_the_daemon_package_only_when_the_command_runs() -> None:
    code = (
        "import sys\n"
        "from ssop.cli.groups import COMMANDS\n"
        "from ssop.cli.lazy import load\n"
        "for entry in COMMANDS:\n    load(entry)\n"
        "print(any(m.startswith('ssop.daemon') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_daemon_list_shows_each_daemon_with_its_crawl_and_membership(
    admin_cli: Cli, store_url: str
) -> None:
    assert admin_cli("daemon", "--once").exit_code == ExitCode.OK
    ((daemon_id, _status),) = daemons(store_url)
    result = admin_cli("daemon", "list", "--format", "json")
    assert result.exit_code == ExitCode.OK, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["id"] == daemon_id and row["status"] == "stopped"
    assert row["member"] == "-"  # stopped: no longer a live member
    assert row["connections"] == 0  # no server, no connection held


def test_daemon_list_needs_a_login(cli: Cli) -> None:
    assert cli("init", APP_INIT_SECRET=ADMIN_PASSWORD).exit_code == ExitCode.OK
    result = cli("daemon", "list")
    assert result.exit_code != ExitCode.OK
    assert result.stderr.startswith("ssop: error: ")
