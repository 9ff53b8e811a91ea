"""``ssop secrets``: rotate the master key from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from tests.cli.conftest import Cli, error_line
from tests.support.auth import snapshot, unchanged_but_refusals
from tests.support.server_cli import TABLES, add_args, ok, refused, row
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def key_file(cli: Cli) -> Path:
    return Path(cli.env["XDG_CONFIG_HOME"]) / "ssop" / "secret.key"


def test_rotate_then_connect_with_the_new_key(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(
        admin_cli,
        *add_args(sshd, "web1", "ed25519_encrypted", "--passphrase-stdin"),
        input="correct horse\n",
    )
    old_key, old_row = key_file(admin_cli).read_bytes(), row(store_engine)

    out = ok(admin_cli, "secrets", "rotate")

    assert out == (
        f"rotated the master key in {key_file(admin_cli)}; "
        "re-encrypted 2 secrets of 1 servers\n"
    )
    new_key = key_file(admin_cli).read_bytes()
    assert new_key != old_key and len(new_key.split()) == 1
    assert row(store_engine).key_ciphertext != old_row.key_ciphertext
    ok(admin_cli, "server", "test", "web1")
    assert old_key.decode().strip() not in out


def test_a_key_from_the_environment_is_not_rewritten(
    admin_cli: Cli, store_engine: Engine
) -> None:
    single = Fernet.generate_key().decode()
    before = snapshot(store_engine, TABLES)
    result = admin_cli("secrets", "rotate", SSOP_SECRET_KEY=single)
    assert result.exit_code == 2
    assert error_line(result) == (
        "ssop: error: the master key comes from env SSOP_SECRET_KEY: "
        "ssop cannot rewrite it"
    )
    assert "ssop: hint: run `ssop secrets new-key`" in result.stderr
    assert single not in result.stdout + result.stderr
    assert unchanged_but_refusals(before, snapshot(store_engine, TABLES))


def test_new_key_prints_a_fresh_key_and_stores_nothing(admin_cli: Cli) -> None:
    before = key_file(admin_cli).read_bytes()
    first, second = (ok(admin_cli, "secrets", "new-key").strip() for _ in range(2))
    Fernet(first.encode())
    assert first != second and key_file(admin_cli).read_bytes() == before


def test_an_exposed_key_file_is_refused(admin_cli: Cli, store_engine: Engine) -> None:
    key_file(admin_cli).chmod(0o644)
    line = refused(admin_cli, store_engine, ["secrets", "rotate"], 2)
    assert (
        line
        == f"ssop: error: key file {key_file(admin_cli)} is readable by group or others"
    )


def test_an_operator_cannot_rotate(admin_cli: Cli, store_engine: Engine) -> None:
    ok(
        admin_cli,
        "user",
        "add",
        "olga",
        "--role",
        "operator",
        "--password-stdin",
        input="olga-password-1\n",
    )
    ok(
        admin_cli,
        "login",
        "--username",
        "olga",
        "--password-stdin",
        input="olga-password-1\n",
    )
    before = key_file(admin_cli).read_bytes()
    line = refused(admin_cli, store_engine, ["secrets", "rotate"], 4)
    assert line == (
        "ssop: error: permission denied: olga (role operator) lacks settings.write"
    )
    assert key_file(admin_cli).read_bytes() == before
