"""``ssop audit list --failed``: every refusal, with actor, target and reason."""

from __future__ import annotations

import json

from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login


def as_viewer(cli: Cli) -> None:
    password = "vera-password-1"
    added = cli(
        "user", "add", "vera", "--role", "viewer", "--password-stdin", input=password
    )
    assert added.exit_code == 0, added.stderr
    assert login(cli, "vera", password).exit_code == 0


def test_refusals_are_listed_with_who_what_and_why(admin_cli: Cli) -> None:
    as_viewer(admin_cli)
    denied = [
        admin_cli("approve", "7"),
        admin_cli("user", "add", "x", "--role", "viewer", "--password-stdin"),
        admin_cli("run", "web1", "get_uptime"),
        admin_cli("pause"),
    ]
    login(admin_cli, "vera", "not-her-password")
    login(admin_cli, "sysadmin", ADMIN_PASSWORD)

    result = admin_cli("audit", "list", "--failed", "--format", "json")
    rows = [
        (e["actor"], e["event"], e["target"], e["outcome"])
        for e in reversed(json.loads(result.stdout))
    ]

    assert [(r.exit_code, "ssop: error:" in error_line(r)) for r in denied] == [
        (4, True)
    ] * 4
    assert rows == [
        ("vera", "approval.approve", "request#7", "denied"),
        ("vera", "authorize", "users.manage", "denied"),
        ("vera", "run.refused", "web1/get_uptime", "denied"),
        ("vera", "policy.pause", "automation", "denied"),
        ("vera", "login.failed", "vera", "denied"),
    ]
    details = [e["detail"] for e in json.loads(result.stdout)]
    assert all(details) and "lacks approvals.decide" in details[-1]
    everything = json.loads(admin_cli("audit", "list", "--format", "json").stdout)
    assert len(everything) > len(rows)
