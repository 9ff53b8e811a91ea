"""``ssop status``: rows, formats and the exit code a monitoring check reads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from ssop.cli import status_cmd
from ssop.core.config.loader import load_config
from ssop.core.services import build_services
from tests.cli.conftest import Cli, error_line
from tests.support import report_rows as rows


def seed(cli: Cli, *, stale: bool) -> None:
    config = load_config(environ=cli.env)
    services = build_services(config)
    now = datetime.now(UTC)
    with services.sessions() as s, s.begin():
        rows.server(s, "alpha", "web")
        rows.server(s, "beta", "db")
        rows.sample(s, "alpha", now - timedelta(seconds=5))
        beta_at = now - timedelta(hours=1 if stale else 0, seconds=5)
        rows.sample(s, "beta", beta_at, disk_max_percent=91.0)
    services.close()


def test_a_stale_server_shows_stale_and_exits_one(admin_cli: Cli) -> None:
    seed(admin_cli, stale=True)

    result = admin_cli("status", "--format", "csv")

    assert result.exit_code == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(status_cmd.COLUMNS)
    assert lines[1].startswith("alpha,ok,10.0,40.0,50.0,0.5,0,,0,")
    assert lines[2].startswith("beta,stale,")
    assert lines[2].endswith(",no crawl for 1h00m")


def test_filters_and_json(admin_cli: Cli) -> None:
    seed(admin_cli, stale=False)

    web = admin_cli("status", "--tag", "web", "--format", "json")
    warned = admin_cli("status", "--state", "warning", "--format", "json")

    assert web.exit_code == 0, web.stderr
    doc = json.loads(web.stdout)
    assert [x["server"] for x in doc["servers"]] == ["alpha"]
    assert doc["counts"]["ok"] == 1
    assert warned.exit_code == 1
    (beta,) = json.loads(warned.stdout)["servers"]
    assert (beta["server"], beta["reasons"]) == ("beta", "disk 91%")


def test_table_and_bad_input(admin_cli: Cli) -> None:
    seed(admin_cli, stale=False)

    table = admin_cli("status")
    bad_state = admin_cli("status", "--state", "sleepy")
    bad_tag = admin_cli("status", "--tag", "nope")

    assert "alpha" in table.stdout and "warning" in table.stdout
    assert bad_state.exit_code == 2
    assert "unknown state 'sleepy'" in error_line(bad_state)
    assert bad_tag.exit_code == 3
    assert "no enabled server has tag 'nope'" in error_line(bad_tag)


def test_watch_redraws_until_interrupted(
    admin_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(admin_cli, stale=False)
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", nap)
    result = admin_cli("status", "--watch", "--interval", "2", "--format", "csv")

    assert result.exit_code == 130
    assert naps == [2.0, 2.0]
    # no terminal: the screen is not cleared, each draw follows the last
    assert result.stdout.count("server,state,") == 2
