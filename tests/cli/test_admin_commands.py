"""Users, roles, tokens, audit and config set, driven through the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli.conftest import ADMIN_PASSWORD, Cli, error_line, login


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_user_lifecycle(admin_cli: Cli) -> None:
    assert (
        admin_cli(
            "user",
            "add",
            "olga",
            "--role",
            "operator",
            "--password-stdin",
            input="o-password-1\n",
        ).exit_code
        == 0
    )
    assert (
        admin_cli("user", "set-role", "olga", "viewer").stdout.strip()
        == "olga is now viewer"
    )
    assert admin_cli("user", "disable", "olga").exit_code == 0
    rows = {
        r["name"]: r
        for r in csv_rows(admin_cli("user", "list", "--format", "csv").stdout)
    }
    assert (rows["olga"]["role"], rows["olga"]["disabled"]) == ("viewer", "yes")
    result = login(admin_cli, "olga", "o-password-1")
    assert result.exit_code == 4 and "disabled" in error_line(result)
    assert admin_cli("user", "enable", "olga").exit_code == 0
    assert admin_cli("user", "rm", "olga").stdout.strip() == "removed user olga"
    assert "olga" not in admin_cli("user", "list", "--format", "csv").stdout


def test_user_add_prompts_twice_without_password_stdin(admin_cli: Cli) -> None:
    result = admin_cli.at_terminal(
        "user",
        "add",
        "pat",
        "--role",
        "viewer",
        input="pat-password-1\npat-password-1\n",
    )
    assert result.exit_code == 0, result.stderr
    assert login(admin_cli, "pat", "pat-password-1").exit_code == 0


def test_the_last_admin_cannot_be_removed(admin_cli: Cli) -> None:
    admin_cli(
        "user",
        "add",
        "ann",
        "--role",
        "admin",
        "--password-stdin",
        input="ann-password-1\n",
    )
    assert login(admin_cli, "ann", "ann-password-1").exit_code == 0
    assert admin_cli("user", "rm", "sysadmin").exit_code == 0
    result = admin_cli("user", "set-role", "ann", "operator")
    assert result.exit_code == 1
    assert (
        error_line(result)
        == "ssop: error: cannot demote ann: it is the last active admin"
    )


def test_passwd_own_and_others(admin_cli: Cli) -> None:
    admin_cli(
        "user",
        "add",
        "olga",
        "--role",
        "operator",
        "--password-stdin",
        input="o-password-1\n",
    )
    assert (
        admin_cli(
            "user", "passwd", "olga", "--password-stdin", input="o-password-2\n"
        ).exit_code
        == 0
    )
    assert login(admin_cli, "olga", "o-password-2").exit_code == 0
    result = admin_cli(
        "user", "passwd", "--password-stdin", input="wrong\nnew-password-1\n"
    )
    assert result.exit_code == 4 and "current password" in error_line(result)
    assert (
        admin_cli(
            "user", "passwd", "--password-stdin", input="o-password-2\no-password-3\n"
        ).exit_code
        == 0
    )
    assert login(admin_cli, "olga", "o-password-3").exit_code == 0
    result = admin_cli(
        "user", "passwd", "sysadmin", "--password-stdin", input="x" * 12 + "\n"
    )
    assert result.exit_code == 4


def test_role_list_grant_revoke(admin_cli: Cli) -> None:
    matrix = json.loads(admin_cli("role", "list", "--format", "json").stdout)
    viewer = {row["capability"] for row in matrix if row["viewer"]}
    assert viewer == {"servers.read", "actions.read", "reports.read"}
    assert (
        admin_cli("role", "grant", "viewer", "actions.run").stdout.strip()
        == "granted actions.run to viewer"
    )
    assert (
        admin_cli("role", "revoke", "viewer", "actions.run").stdout.strip()
        == "revoked actions.run from viewer"
    )
    result = admin_cli("role", "revoke", "admin", "users.manage")
    assert result.exit_code == 1
    assert "always keeps users.manage" in error_line(result)


def test_token_create_prints_the_secret_alone_and_it_works(admin_cli: Cli) -> None:
    created = admin_cli(
        "token", "create", "ci", "--role", "operator", "--expires", "2d"
    )
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("ssopt_") and "\n" not in token
    assert "not shown again" in created.stderr
    who = json.loads(admin_cli("whoami", "--format", "json", SSOP_TOKEN=token).stdout)
    assert (who["user"], who["role"]) == ("token:ci", "operator")
    listed = csv_rows(admin_cli("token", "list", "--format", "csv").stdout)
    assert [(t["name"], t["role"], t["created_by"]) for t in listed] == [
        ("ci", "operator", "sysadmin")
    ]
    assert token not in admin_cli("token", "list", "--format", "csv").stdout
    assert admin_cli("token", "revoke", "ci").exit_code == 0
    assert admin_cli("whoami", SSOP_TOKEN=token).exit_code == 4


def test_a_token_above_its_creator_is_refused(admin_cli: Cli) -> None:
    admin_cli("role", "grant", "operator", "users.manage")
    admin_cli(
        "user",
        "add",
        "olga",
        "--role",
        "operator",
        "--password-stdin",
        input="o-password-1\n",
    )
    login(admin_cli, "olga", "o-password-1")
    result = admin_cli("token", "create", "t", "--role", "admin")
    assert result.exit_code == 4
    assert "above its own" in error_line(result)


def test_audit_list_records_who_did_what_without_secrets(admin_cli: Cli) -> None:
    admin_cli(
        "user",
        "add",
        "olga",
        "--role",
        "operator",
        "--password-stdin",
        input="Olga-Secret-9\n",
    )
    token = admin_cli("token", "create", "ci", "--role", "viewer").stdout.strip()
    login(admin_cli, "olga", "bad-guess")
    login(admin_cli, "sysadmin", ADMIN_PASSWORD)
    admin_cli("config", "set", "mysql.password", "Db-Secret-7")
    result = admin_cli("audit", "list", "--format", "json", "--limit", "100")
    assert result.exit_code == 0, result.stderr
    events = json.loads(result.stdout)
    seen = [(e["actor"], e["event"], e["target"]) for e in reversed(events)]
    assert seen == [
        ("system:init", "init", ""),
        ("sysadmin", "login", "sysadmin"),
        ("sysadmin", "user.add", "olga"),
        ("sysadmin", "token.create", "ci"),
        ("olga", "login.failed", "olga"),
        ("sysadmin", "login", "sysadmin"),
        ("sysadmin", "config.set", "mysql.password"),
    ]
    for secret in ("Olga-Secret-9", token, ADMIN_PASSWORD, "Db-Secret-7"):
        assert secret not in result.stdout
    only = csv_rows(
        admin_cli("audit", "list", "--format", "csv", "--event", "user.add").stdout
    )
    assert [(r["actor"], r["target"]) for r in only] == [("sysadmin", "olga")]
    assert (
        len(
            json.loads(
                admin_cli("audit", "list", "--format", "json", "--actor", "olga").stdout
            )
        )
        == 1
    )


def test_config_set_as_admin_masks_secrets(admin_cli: Cli) -> None:
    result = admin_cli("config", "set", "openai.api_key", "sk-abcdefghijklmnop1234")
    assert result.exit_code == 0, result.stderr
    assert "********" in result.stdout and "sk-abc" not in result.stdout


def test_config_set_without_a_login_is_refused_while_the_store_is_up(
    admin_cli: Cli,
) -> None:
    admin_cli("logout")
    result = admin_cli("config", "set", "app.env", "x")
    assert result.exit_code == 4
    assert (
        error_line(result)
        == "ssop: error: changing settings needs a login with settings.write"
    )


def test_config_set_repairs_an_unreachable_database_url(
    cli: Cli, store_url: str
) -> None:
    bad = "mysql+mysqldb://root:hunter2@127.0.0.1:1/x"
    config = Path(cli.env["SSOP_CONFIG"])
    env = {k: v for k, v in cli.env.items() if k != "SSOP_DATABASE_URL"}
    config.write_text(f'[database]\nurl = "{bad}"\n')
    repaired = Cli(env)("config", "set", "database.url", store_url)
    assert repaired.exit_code == 0, repaired.stderr
    assert "hunter2" not in repaired.stdout
    assert store_url.split("://")[0] in config.read_text()
