"""Every command that offers ``--format`` honours each of its values.

One store is seeded once for the module (this machine as a local server,
a crawl, an analysis, an execution, an approval request, a maintenance
window, a token), then each command runs in each format. A command that
gains ``--format`` without an entry in ``ARGS`` fails the first test.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ssop.cli.render import Format
from ssop.core.accounts import passwords
from ssop.core.config.loader import load_config
from ssop.core.services import build_services
from tests.cli import tree
from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login
from tests.conftest import ENV_PREFIXES
from tests.support import services as support
from tests.support.policy import proposal, wire


@dataclass
class Site:
    cli: Cli
    ids: dict[str, str]
    folder: Path

    def ok(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        return result.stdout


ARGS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("whoami",): (),
    ("daemon", "list"): (),
    ("health",): (),
    # exits 0 only when every server shown is ok; this machine may be busy
    ("status",): ("--state", "ok"),
    ("report",): ("servers",),
    ("run",): ("me", "get_uptime"),
    ("explain",): ("{analysis}",),
    ("analyze",): ("me", "--dry-run"),
    ("crawl",): ("me",),
    ("config", "show"): (),
    ("user", "list"): (),
    ("role", "list"): (),
    ("token", "list"): (),
    ("audit", "list"): (),
    ("server", "list"): (),
    ("server", "show"): ("me",),
    ("server", "test"): ("me",),
    ("action", "list"): (),
    ("action", "show"): ("get_uptime",),
    ("executions", "list"): (),
    ("executions", "show"): ("{execution}",),
    ("approvals", "list"): (),
    ("approvals", "show"): ("{request}",),
    ("policy", "status"): (),
    ("policy", "shadow-report"): (),
    ("maintenance", "list"): (),
    ("analysis", "list"): (),
    ("analysis", "show"): ("{analysis}",),
}
# every command that writes a --format to --output (ssop docs man writes roff)
LISTS = [path for path in tree.with_option("--output") if path in ARGS]


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_test_rounds", 4)
        for name in [n for n in os.environ if n.startswith(ENV_PREFIXES)]:
            mp.delenv(name)
        folder = tmp_path_factory.mktemp("formats")
        home = folder / "home"
        cli = Cli(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_DATA_HOME": str(home / ".local/share"),
                "XDG_STATE_HOME": str(home / ".local/state"),
                "SSOP_DATABASE_URL": support.sqlite_copy(sqlite_template, folder),
                "SSOP_CONFIG": str(folder / "ssop.toml"),
            }
        )
        yield Site(cli, _seed(cli), folder)


def _seed(cli: Cli) -> dict[str, str]:
    assert cli("init", APP_INIT_SECRET=ADMIN_PASSWORD).exit_code == 0
    assert login(cli, "sysadmin", ADMIN_PASSWORD).exit_code == 0
    site = Site(cli, {}, Path())
    site.ok("server", "add", "me", "--local")
    site.ok("action", "assign", "me", "restart_service")
    site.ok("crawl", "me")
    site.ok("analyze", "me")
    site.ok("run", "me", "get_uptime")
    site.ok("token", "create", "ci", "--role", "viewer")
    (analysis,) = json.loads(site.ok("analysis", "list", "--format", "json"))
    _request(cli, analysis["id"])
    site.ok("maintenance", "add", "me", "--for", "1h", "--reason", "formats")
    (execution,) = json.loads(site.ok("executions", "list", "--format", "json"))
    (request,) = json.loads(site.ok("approvals", "list", "--format", "json"))
    ids = {"analysis": analysis["id"], "execution": execution["id"]}
    return {k: str(v) for k, v in {**ids, "request": request["id"]}.items()}


def _request(cli: Cli, analysis_id: int) -> None:
    """An approval request, proposed the way the daemon's remediate step does."""
    services = build_services(load_config(environ=cli.env, system_config=Path("/x")))
    wire(services, None)
    proposed = proposal("me", analysis_id=analysis_id)
    services.remediation.process([proposed])
    services.close()


def _args(site: Site, path: tuple[str, ...]) -> list[str]:
    return [*path, *(a.format(**site.ids) for a in ARGS[path])]


def test_every_command_with_a_format_option_is_listed_here() -> None:
    assert sorted(tree.with_option("--format")) == sorted(ARGS)


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("path", sorted(ARGS), ids=" ".join)
def test_the_format_is_honoured(site: Site, path: tuple[str, ...], fmt: Format) -> None:
    result = site.cli(*_args(site, path), "--format", fmt.value)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    CHECKS[fmt](result.stdout)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _table(text: str) -> None:
    assert text.strip() and not _is_json(text)


def _json(text: str) -> None:
    json.loads(text)  # one document, whatever the number of records


def _csv(text: str) -> None:
    assert not text.lstrip().startswith(("[", "{"))
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert len(header) >= 2 and all(h.strip() for h in header), header
    assert all(len(row) == len(header) for row in rows), rows


CHECKS = {Format.TABLE: _table, Format.JSON: _json, Format.CSV: _csv}


def test_json_numbers_are_numbers(site: Site) -> None:
    execution = site.ids["execution"]
    (listed, *_) = json.loads(site.ok("executions", "list", "--format", "json"))
    shown = json.loads(site.ok("executions", "show", execution, "--format", "json"))
    ran = json.loads(site.ok("run", "me", "get_uptime", "--format", "json"))
    for record in (listed, shown, ran):
        assert isinstance(record["seconds"], float), record
    assert isinstance(listed["exit"], int) and isinstance(shown["exit_code"], int)
    assert isinstance(ran["params"], dict) and isinstance(ran["stdout_truncated"], bool)


@pytest.mark.parametrize("path", LISTS, ids=" ".join)
def test_output_writes_the_same_text_to_a_file(
    site: Site, path: tuple[str, ...]
) -> None:
    target = site.folder / ("-".join(path) + ".csv")
    target.write_text("old")
    printed = site.ok(*_args(site, path), "--format", "csv")
    assert site.ok(*_args(site, path), "--format", "csv", "-o", str(target)) == ""
    assert target.read_text() == printed
    assert _leftovers(site.folder) == []


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_an_unwritable_output_is_one_error_line_and_nothing_half_written(
    site: Site, where: str
) -> None:
    folder = site.folder / "out"
    folder.mkdir(exist_ok=True)
    (folder / "kept").write_text("old")
    target = folder if where == "a folder" else folder / "no" / "such.json"
    result = site.cli("server", "list", "--format", "json", "-o", str(target))
    assert result.exit_code == 1 and result.stdout == ""
    assert error_line(result).startswith(f"ssop: error: cannot write {target}: ")
    assert len(result.stderr.splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["kept"]
    assert (folder / "kept").read_text() == "old" and _leftovers(site.folder) == []


def test_executions_list_filters_by_action_and_actor(site: Site) -> None:
    def listed(*args: str) -> list[dict[str, object]]:
        out = site.ok("executions", "list", *args, "--format", "json")
        records: list[dict[str, object]] = json.loads(out)
        return records

    mine = listed("--action", "get_uptime", "--actor", "sysadmin")
    assert int(site.ids["execution"]) in [r["id"] for r in mine]
    assert {(r["action"], r["actor"]) for r in mine} == {("get_uptime", "sysadmin")}
    assert listed("--action", "restart_service") == []
    assert listed("--actor", "policy") == []
