"""``ssop report``: each format of the known data set, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssop.core import services as composition
from ssop.core.config.loader import load_config
from ssop.core.services import build_services
from tests.cli.conftest import Cli, error_line
from tests.fakes.clock import FakeClock
from tests.support import report_data

SERVERS_7D = """\
server,last_seen,crawls,crawl_failures,crawl_success_rate,cpu_mean,cpu_max,\
memory_mean,memory_max,disk_mean,disk_max,load_mean,executions,analyses_low,\
analyses_medium,analyses_high,open_approvals
db1,2026-01-12T12:00:00+00:00,3,2,33.3,5.0,5.0,10.0,10.0,30.0,30.0,0.25,22,1,0,1,0
off1,,0,0,,,,,,,,,0,0,0,0,0
web1,2026-01-15T11:00:00+00:00,2,0,100.0,20.0,30.0,50.0,60.0,60.0,70.0,1.0,3,1,1,0,1
web2,2026-01-15T09:00:00+00:00,2,1,50.0,50.0,50.0,20.0,20.0,91.0,91.0,2.0,2,0,0,1,0
"""


@pytest.fixture
def known(admin_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Logged in as admin over the known data set, at its NOW."""
    services = build_services(load_config(environ=admin_cli.env))
    with services.sessions() as s, s.begin():
        report_data.seed(s)
    services.close()
    monkeypatch.setattr(composition, "SystemClock", lambda: FakeClock(report_data.NOW))
    return admin_cli


def test_servers_csv_to_a_file(known: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"

    result = known(
        "report", "servers", "--window", "7d", "--format", "csv", "-o", str(out)
    )

    assert result.exit_code == 0, result.stderr
    assert (result.stdout, out.read_text()) == ("", SERVERS_7D)


def test_csv_of_several_tables_goes_to_a_folder_or_one_table(
    known: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()

    to_folder = known("report", "overview", "--format", "csv", "-o", str(folder))
    one = known("report", "overview", "--format", "csv", "--table", "summary")
    neither = known("report", "overview", "--format", "csv")

    assert to_folder.exit_code == 0, to_folder.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "overview-analyses.csv",
        "overview-executions.csv",
        "overview-summary.csv",
    ]
    summary = (folder / "overview-summary.csv").read_text()
    assert summary == one.stdout
    assert summary.splitlines()[:3] == ["metric,value", "servers_watched,3", "crawls,5"]
    assert (folder / "overview-executions.csv").read_text().count("\n") == 25
    assert neither.exit_code == 2
    assert "has 3 tables (summary, executions, analyses)" in error_line(neither)


def test_json_is_one_document_with_stable_keys(known: Cli) -> None:
    result = known("report", "actions", "--format", "json", "--server", "web1")

    doc = json.loads(result.stdout)
    assert set(doc) == {
        "report",
        "window",
        "filters",
        "generated_at",
        "notes",
        "tables",
    }
    assert doc["window"] == {
        "since": "2026-01-14T12:00:00+00:00",
        "until": "2026-01-15T12:00:00+00:00",
        "bucket": "hour",
    }
    assert doc["filters"] == {"servers": ["web1"], "tag": None}
    (row,) = doc["tables"]["actions"]
    assert row["action"] == "restart_service"
    assert (row["runs"], row["p95_duration_s"], row["success_rate"]) == (3, 10.0, 66.7)


def test_markdown_pastes_into_a_ticket(known: Cli) -> None:
    result = known("report", "errors", "--format", "markdown")

    lines = result.stdout.splitlines()
    assert lines[0] == "# ssop report errors"
    assert "| kind | cause | action | server | count | first_at | last_at |" in lines
    assert (
        "| crawl | refused |  | db1 | 1 | 2026-01-15 11:30 UTC | 2026-01-15 11:30 UTC |"
        in lines
    )


def test_table_with_charts_fits_80_columns_without_colour(known: Cli) -> None:
    result = known("report", "overview", NO_COLOR="1", COLUMNS="80")

    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "\x1b" not in text
    assert "servers_watched" in text and "executions" in text
    chart = text[text.index("┌") - 200 :]
    assert max(len(line) for line in chart.splitlines()) <= 80
    assert "2026-01-14 12:00" in chart  # the first bucket labels the x axis


def test_a_window_beyond_the_retention_says_so(known: Cli) -> None:
    result = known("report", "errors", "--window", "90d", "--format", "csv")

    assert result.exit_code == 0
    assert (
        "ssop: note: the window starts before the retention (30 days" in result.stderr
    )
    assert result.stdout.startswith("kind,cause,action,server,count,")


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (("weekly",), 2, "unknown report 'weekly'"),
        (("servers", "--server", "nope"), 3, "no server named 'nope'"),
        (("servers", "--tag", "nope"), 3, "no server has tag 'nope'"),
        (("ai", "--since", "2026-01-10", "--until", "2026-01-09"), 2, "before"),
        (("ai", "--since", "10/01/2026"), 2, "not an ISO 8601"),
        (("overview", "--table", "nope"), 2, "has no table 'nope'"),
    ],
)
def test_bad_input(known: Cli, args: tuple[str, ...], code: int, text: str) -> None:
    result = known("report", *args)

    assert result.exit_code == code
    assert text in error_line(result)


def test_an_unwritable_output_leaves_nothing_behind(known: Cli, tmp_path: Path) -> None:
    # the tests may run as root, whom file modes do not stop
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("kept\n")

    result = known("report", "servers", "-o", str(not_a_folder / "out.csv"))
    to_proc = known("report", "overview", "--format", "csv", "-o", "/proc")

    assert result.exit_code == 1 and "cannot write" in error_line(result)
    assert not_a_folder.read_text() == "kept\n"
    assert to_proc.exit_code == 1 and "cannot write /proc/" in error_line(to_proc)
