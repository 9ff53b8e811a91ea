"""The master key file is lost: ``ssop health`` says so, ``ssop init`` refuses
to create a key that could not open the stored secrets and names the way
out, ``ssop secrets reset`` drops them after asking, then ``init`` works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ssop.core.services import Services
from tests.cli.conftest import Cli, error_line, login
from tests.support.auth import snapshot
from tests.support.servers import add_server


def key_file(cli: Cli) -> Path:
    return Path(cli.env["XDG_CONFIG_HOME"]) / "ssop" / "secret.key"


def health(cli: Cli) -> tuple[int, dict[str, tuple[str, str]]]:
    result = cli("health", "--format", "json")
    checks = json.loads(result.stdout)["checks"]
    return result.exit_code, {c["name"]: (c["state"], c["detail"]) for c in checks}


@pytest.fixture
def sealed(admin_cli: Cli, services: Services) -> Cli:
    box = services.secret_box()
    add_server(services, "web1", key_ciphertext=box.encrypt("PEM"))
    add_server(services, "db1", key_ciphertext=box.encrypt("PEM"))
    return admin_cli


def test_a_lost_key_is_noticed_refused_and_recovered(
    sealed: Cli, store_engine: Engine
) -> None:
    assert health(sealed)[1]["master key"] == (
        "ok",
        "opens the 2 stored secret(s) of 2 server(s)",
    )
    key_file(sealed).unlink()
    code, checks = health(sealed)
    assert code == 1
    assert checks["master key"][0] == "failed"

    result = sealed("init")
    assert result.exit_code == 2
    assert error_line(result) == (
        f"ssop: error: no master key at {key_file(sealed)}, but the store holds "
        "the sealed keys of 2 server(s) (db1, web1); a new key would not open "
        "them, so none was created"
    )
    assert "ssop secrets reset" in result.stderr and not key_file(sealed).exists()

    before = snapshot(store_engine, ("servers",))
    declined = sealed("secrets", "reset", input="n\n")
    assert declined.exit_code == 1
    assert "Drop the 2 sealed secret(s) of servers db1, web1?" in declined.stderr
    assert snapshot(store_engine, ("servers",)) == before

    done = sealed("secrets", "reset", input="y\n")
    assert done.exit_code == 0, done.stderr
    assert "dropped 2 sealed secret(s) of 2 server(s)" in done.stdout
    assert "ssop server edit NAME --key-file PATH" in done.stdout
    assert sealed("init").exit_code == 0 and key_file(sealed).exists()
    code, checks = health(sealed)
    assert (code, checks["master key"]) == (0, ("ok", "no secrets stored"))
    audit = sealed("audit", "list", "--format", "json").stdout
    assert "secrets.reset" in audit


def test_reset_yes_for_scripts_and_admins_only(sealed: Cli) -> None:
    result = sealed(
        "user",
        "add",
        "olga",
        "--role",
        "operator",
        "--password-stdin",
        input="olga-password-1\n",
    )
    assert result.exit_code == 0, result.stderr
    assert login(sealed, "olga", "olga-password-1").exit_code == 0
    refused = sealed("secrets", "reset", "--yes")
    assert refused.exit_code == 4
    assert "lacks settings.write" in error_line(refused)
    assert login(sealed, "sysadmin", "Init-Secret-1").exit_code == 0
    result = sealed("secrets", "reset", "--yes")
    assert result.exit_code == 0, result.stderr
    assert sealed("secrets", "reset", "--yes").stdout.startswith(
        "no sealed secrets to drop"
    )
