"""``ssop action`` and ``ssop executions`` in-process: output, exit codes, rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ssop.core.actions.stored import spec_of
from ssop.core.actions.toml_spec import spec_to_dict
from ssop.core.config.loader import load_config
from ssop.core.services import Services, build_services
from ssop.core.store.action_repo import ActionRepo
from tests.cli.conftest import Cli, error_line
from tests.support.servers import add_server

ACTION_FILE = """\
name = "disk_hog"
description = "Largest files under a folder"
type = "command_get"
risk = "low"
timeout_s = 20
argv = ["du", "-ax", "--max-depth=1", "{dir}"]

[params.dir]
type = "path"
roots = ["/var", "/srv"]
"""


@pytest.fixture
def services(admin_cli: Cli) -> Iterator[Services]:
    config = load_config(environ=admin_cli.env, system_config=Path("/nonexistent"))
    svc = build_services(config)
    yield svc
    svc.close()


def ok(cli: Cli, *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def stored(services: Services, name: str) -> dict[str, object]:
    with services.sessions() as s:
        row = ActionRepo(s).get(name)
        return {"enabled": row.enabled, **spec_to_dict(spec_of(row))}


def test_create_from_options_and_show(admin_cli: Cli, services: Services) -> None:
    out = ok(
        admin_cli,
        "action",
        "create",
        "svc_status",
        "--type",
        "command_get",
        "--command",
        "systemctl status {service}",
        "--param",
        "service:unit",
        "--risk",
        "medium",
        "--timeout",
        "10",
        "--guard",
        "service=stoppable",
    )
    assert out == "created action svc_status (command_get, risk medium)\n"
    data = stored(services, "svc_status")
    assert data["argv"] == ["systemctl", "status", "{service}"]
    assert data["params"] == {
        "service": {"type": "unit", "required": True, "help": "", "guard": "stoppable"}
    }
    shown = json.loads(
        ok(admin_cli, "action", "show", "svc_status", "--format", "json")
    )
    assert shown["template"] == "systemctl status {service}"
    assert shown["params"] == ["service: unit (guard stoppable)"]


def test_create_an_http_action_and_from_a_file(
    admin_cli: Cli, services: Services, tmp_path: Path
) -> None:
    ok(
        admin_cli,
        "action",
        "create",
        "hook",
        "--type",
        "http",
        "--risk",
        "high",
        "--method",
        "put",
        "--url",
        "https://ops.example.com/deploy/{app}",
        "--header",
        "X-Team: ops",
        "--body",
        '{"app": "{app}"}',
        "--param",
        "app:word",
    )
    assert stored(services, "hook")["http"] == {
        "method": "PUT",
        "url": "https://ops.example.com/deploy/{app}",
        "headers": {"X-Team": "ops"},
        "body": {"app": "{app}"},
    }
    path = tmp_path / "disk.toml"
    path.write_text(ACTION_FILE)
    ok(admin_cli, "action", "create", "--file", str(path))
    assert stored(services, "disk_hog")["timeout_s"] == 20
    listed = json.loads(ok(admin_cli, "action", "list", "--format", "json"))
    custom = [(a["name"], a["builtin"]) for a in listed if not a["builtin"]]
    assert custom == [("disk_hog", False), ("hook", False)]


def test_edit_disable_enable_and_remove(admin_cli: Cli, services: Services) -> None:
    ok(
        admin_cli,
        "action",
        "create",
        "nap",
        "--type",
        "command_get",
        "--risk",
        "low",
        "--command",
        "sleep 1",
    )
    ok(admin_cli, "action", "edit", "nap", "--command", "sleep 2", "--timeout", "5")
    assert stored(services, "nap")["argv"] == ["sleep", "2"]
    assert stored(services, "nap")["timeout_s"] == 5
    ok(admin_cli, "action", "disable", "nap")
    assert stored(services, "nap")["enabled"] is False
    ok(admin_cli, "action", "enable", "nap")
    add_server(services, "web1")
    ok(admin_cli, "action", "assign", "web1", "nap", "--automatic")
    refused = admin_cli("action", "rm", "nap")
    assert refused.exit_code == 1
    assert error_line(refused) == "ssop: error: action 'nap' is assigned to web1"
    assert ok(admin_cli, "action", "rm", "nap", "--force") == "removed action nap\n"
    with services.sessions() as s:
        assert ActionRepo(s).find("nap") is None


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("action", "rm", "reboot_system"), 1, "built-in action and cannot be removed"),
        (("action", "edit", "get_uptime", "--risk", "high"), 1, "cannot be edited"),
        (
            (
                "action",
                "create",
                "x",
                "--type",
                "command_get",
                "--risk",
                "low",
                "--command",
                "bash -c id",
            ),
            2,
            "must not start with 'bash'",
        ),
        (
            (
                "action",
                "create",
                "x",
                "--type",
                "command_get",
                "--risk",
                "low",
                "--command",
                "ls",
                "--param",
                "nocolon",
            ),
            2,
            "write name:type",
        ),
        (("action", "create", "--file", "/nonexistent.toml"), 2, "No such file"),
        (("action", "show", "nope"), 3, "no action named 'nope'"),
        (("action", "assign", "web9", "get_uptime"), 3, "no server named 'web9'"),
        (("executions", "show", "77"), 3, "no execution #77"),
        (("executions", "list", "--since", "yesterday"), 2, "--since 'yesterday'"),
        (("executions", "list", "--status", "done"), 2, "unknown status 'done'"),
        (("run", "get_uptime"), 2, "give SERVER ACTION, or --tag TAG ACTION"),
        (("run", "web1", "get_uptime", "--param", "novalue"), 2, "write NAME=VALUE"),
    ],
)
def test_refusals_print_one_error_line(
    admin_cli: Cli, args: tuple[str, ...], code: int, message: str
) -> None:
    result = admin_cli(*args)
    assert result.exit_code == code, result.stderr
    assert message in error_line(result)


def test_executions_list_is_empty_and_readable(admin_cli: Cli) -> None:
    assert ok(admin_cli, "executions", "list", "--format", "json").strip() == "[]"
