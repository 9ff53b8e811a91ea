"""``ssop server`` against the loopback sshd, on SQLite and MariaDB.

Successes are checked in the store; every refusal exits non-zero with one
``ssop: error:`` line and leaves the store as it was, but for the refusal
in the audit trail.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ssop.core.models import Server
from ssop.core.store.action_repo import ActionRepo, AssignmentRepo
from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import Cli, error_line
from tests.support.at_rest import bytes_at_rest
from tests.support.auth import snapshot, unchanged_but_refusals
from tests.support.server_cli import TABLES, add_args, ok, refused, row
from tests.support.sshd import Sshd

pytestmark = pytest.mark.sshd


def ssh_keygen_fingerprint(sshd: Sshd) -> str:
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(sshd.host_key_pub)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split()[1]


def test_add_pins_the_host_key_ssh_keygen_shows(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    out = ok(admin_cli, *add_args(sshd, "web1", "ed25519", "--tag", "web"))

    expected = ssh_keygen_fingerprint(sshd)
    assert expected.startswith("SHA256:")
    assert row(store_engine).host_key_fingerprint == expected
    assert out == (
        f"added server web1 (root@{sshd.host}:{sshd.port}); "
        f"pinned host key {expected}\n"
    )


def test_without_a_terminal_or_a_flag_an_unknown_host_key_is_refused(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    args = add_args(sshd)[:-2]  # no --accept-host-key
    line = refused(admin_cli, store_engine, args, 2, input="y\n")
    fingerprint = sshd.host_key.fingerprint
    assert line == (
        f"ssop: error: server web1: cannot ask whether to pin host key ssh-ed25519 "
        f"{fingerprint}: standard input is not a terminal; nothing was stored"
    )


def test_trust_on_first_use_pins_without_asking(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(admin_cli, *add_args(sshd)[:-2], "--trust-on-first-use")
    assert row(store_engine).host_key == sshd.host_key.base64


def test_list_show_and_formats(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(
        admin_cli,
        *add_args(sshd, "web1", "ed25519", "--tag", "web", "--tag", "prod"),
        "--no-default-actions",
    )
    ok(
        admin_cli,
        *add_args(sshd, "db1", "rsa", "--description", "the database"),
        "--no-default-actions",
    )
    with Session(store_engine) as s, s.begin():
        server = ServerRepo(s).get("web1")
        AssignmentRepo(s).assign(server, ActionRepo(s).get("restart_service"), True)
        AssignmentRepo(s).assign(server, ActionRepo(s).get("get_uptime"), False)

    table = ok(admin_cli, "server", "list")
    assert "web1" in table and "db1" in table
    listed = json.loads(ok(admin_cli, "server", "list", "--format", "json"))
    assert [(x["name"], x["tags"], x["auth"]) for x in listed] == [
        ("db1", [], "key"),
        ("web1", ["prod", "web"], "key"),
    ]
    assert ok(admin_cli, "server", "list", "--tag", "web", "--format", "csv") == (
        "name,host,port,user,auth,tags,enabled,host_key\n"
        f'web1,{sshd.host},{sshd.port},root,key,"prod, web",yes,'
        f"{sshd.host_key.fingerprint}\n"
    )

    shown = json.loads(ok(admin_cli, "server", "show", "web1", "--format", "json"))
    assert shown["key_fingerprint"] == sshd.keys["ed25519"].fingerprint
    assert shown["actions"] == [
        {"name": "get_uptime", "automatic": False, "risk": "low", "enabled": True},
        {
            "name": "restart_service",
            "automatic": True,
            "risk": "medium",
            "enabled": True,
        },
    ]
    text = ok(admin_cli, "server", "show", "web1")
    assert "restart_service" in text and sshd.keys["ed25519"].fingerprint in text
    assert "PRIVATE KEY" not in text + json.dumps(shown)
    assert "no actions assigned" in ok(admin_cli, "server", "show", "db1")


def test_edit_description_keeps_the_key_and_connecting_still_works(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(
        admin_cli,
        *add_args(sshd, "web1", "ed25519_encrypted", "--passphrase-stdin"),
        input="correct horse\n",
    )
    before = row(store_engine)

    ok(admin_cli, "server", "edit", "web1", "--description", "front end")

    after = row(store_engine)
    assert after.description == "front end"
    assert (after.key_ciphertext, after.passphrase_ciphertext) == (
        before.key_ciphertext,
        before.passphrase_ciphertext,
    )
    tested = json.loads(ok(admin_cli, "server", "test", "web1", "--format", "json"))
    assert "Linux" in tested["os"]
    assert tested["host_key"] == sshd.host_key.fingerprint
    assert tested["latency_ms"] >= 0 and tested["connect_ms"] > 0


def test_edit_tags_enable_disable_and_moving_unpins(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(admin_cli, *add_args(sshd, "web1", "ed25519", "--tag", "a"))
    ok(admin_cli, "server", "edit", "web1", "--tag", "b", "--tag", "c", "--disable")
    shown = json.loads(ok(admin_cli, "server", "show", "web1", "--format", "json"))
    assert (shown["tags"], shown["enabled"]) == (["b", "c"], False)
    ok(admin_cli, "server", "edit", "web1", "--clear-tags", "--enable")
    shown = json.loads(ok(admin_cli, "server", "show", "web1", "--format", "json"))
    assert (shown["tags"], shown["enabled"]) == ([], True)

    out = ok(admin_cli, "server", "edit", "web1", "--host", "127.0.1.2")
    assert "no host key is pinned now: run `ssop server test web1`" in out
    assert row(store_engine).host_key is None
    ok(
        admin_cli,
        "server",
        "test",
        "web1",
        "--accept-host-key",
        sshd.host_key.fingerprint,
    )
    assert row(store_engine).host_key_fingerprint == sshd.host_key.fingerprint


def test_test_prints_latency_os_and_host_key(admin_cli: Cli, sshd: Sshd) -> None:
    ok(admin_cli, *add_args(sshd))
    out = ok(admin_cli, "server", "test", "web1")
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["server"] == "web1"
    assert float(lines["latency_ms"]) >= 0
    assert "Linux" in lines["os"]
    assert lines["host_key"] == sshd.host_key.fingerprint


def test_a_local_server_needs_no_ssh(admin_cli: Cli) -> None:
    assert ok(admin_cli, "server", "add", "me", "--local") == (
        "added server me (local)\n"
    )
    out = ok(admin_cli, "server", "test", "me")
    assert "host_key    none (local)" in out and "Linux" in out
    listed = json.loads(ok(admin_cli, "server", "list", "--format", "json"))
    assert [(x["host"], x["port"], x["user"], x["auth"]) for x in listed] == [
        ("localhost", None, None, "local")
    ]


def test_rm_asks_unless_yes(admin_cli: Cli, store_engine: Engine, sshd: Sshd) -> None:
    ok(admin_cli, *add_args(sshd, "web1"))
    ok(admin_cli, *add_args(sshd, "web2"))
    before = snapshot(store_engine, TABLES)
    result = admin_cli.at_terminal("server", "rm", "web1", input="n\n")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Remove server web1 (root@{sshd.host}:{sshd.port})? [y/N]:"
    )
    assert result.stderr.endswith("ssop: error: aborted\n")
    assert unchanged_but_refusals(before, snapshot(store_engine, TABLES))

    removed = admin_cli.at_terminal("server", "rm", "web1", input="y\n")
    assert removed.exit_code == 0 and removed.stdout.endswith("removed server web1\n")
    assert ok(admin_cli, "server", "rm", "web2", "--yes") == "removed server web2\n"
    assert json.loads(ok(admin_cli, "server", "list", "--format", "json")) == []


def test_a_changed_host_key_is_refused_until_trusted_again(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(admin_cli, *add_args(sshd))
    other = sshd.other_host_key
    with store_engine.begin() as conn:
        conn.execute(
            update(Server).values(
                host_key=other.base64, host_key_fingerprint=other.fingerprint
            )
        )
    before = snapshot(store_engine, TABLES)

    result = admin_cli("server", "test", "web1")

    assert result.exit_code == 5
    presented = sshd.host_key.fingerprint
    assert error_line(result) == (
        "ssop: error: server web1: HOST KEY MISMATCH (possible man-in-the-middle): "
        f"pinned {other.fingerprint}, presented {presented}"
    )
    assert f"ssop server trust web1 --fingerprint {presented}" in result.stderr
    assert unchanged_but_refusals(before, snapshot(store_engine, TABLES))

    out = ok(admin_cli, "server", "trust", "web1", "--fingerprint", presented)
    assert out == f"pinned host key ssh-ed25519 {presented} for server web1\n"
    ok(admin_cli, "server", "test", "web1")


def test_a_hung_host_ends_at_the_connect_timeout(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd, hung_host: tuple[str, int]
) -> None:
    ok(admin_cli, *add_args(sshd))
    with store_engine.begin() as conn:
        conn.execute(update(Server).values(host=hung_host[0], port=hung_host[1]))
    line = refused(
        admin_cli,
        store_engine,
        ["server", "test", "web1"],
        5,
        SSOP_SSH__CONNECT_TIMEOUT="1",
    )
    assert line == (
        "ssop: error: server web1: no SSH handshake with "
        f"{hung_host[0]}:{hung_host[1]} within 1s"
    )


def test_a_dead_host_is_refused_at_add(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd, dead_host: tuple[str, int]
) -> None:
    args = add_args(sshd)
    args[args.index("--port") + 1] = str(dead_host[1])
    line = refused(admin_cli, store_engine, args, 5)
    assert line == (
        f"ssop: error: server web1: connection refused by {dead_host[0]}:{dead_host[1]}"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("server", "show", "nope"),
        ("server", "edit", "nope", "--description", "x"),
        ("server", "rm", "nope", "--yes"),
        ("server", "rm", "nope"),
        ("server", "test", "nope"),
        ("server", "trust", "nope", "--fingerprint", "SHA256:" + "A" * 43),
    ],
)
def test_an_unknown_server(
    admin_cli: Cli, store_engine: Engine, args: tuple[str, ...]
) -> None:
    line = refused(admin_cli, store_engine, args, 3)
    assert line == "ssop: error: no server named 'nope'"


def test_a_taken_name(admin_cli: Cli, store_engine: Engine, sshd: Sshd) -> None:
    ok(admin_cli, *add_args(sshd))
    line = refused(admin_cli, store_engine, add_args(sshd, "web1", "rsa"), 1)
    assert line == "ssop: error: a server named 'web1' already exists"


def key_file_case(sshd: Sshd, tmp_path: Path, case: str) -> str:
    if case == "missing":
        return str(tmp_path / "no-such-key")
    if case == "directory":
        return str(tmp_path)
    return str(sshd.keys["ed25519"].path.with_suffix(".pub"))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "key file {path} does not exist"),
        ("directory", "key file {path} cannot be read: Is a directory"),
        ("public", "key file {path} does not hold a private key"),
    ],
)
def test_a_bad_key_file(
    admin_cli: Cli,
    store_engine: Engine,
    sshd: Sshd,
    tmp_path: Path,
    case: str,
    message: str,
) -> None:
    path = key_file_case(sshd, tmp_path, case)
    args = add_args(sshd)
    args[args.index("--key-file") + 1] = path
    line = refused(admin_cli, store_engine, args, 2)
    assert line == "ssop: error: " + message.format(path=path)


@pytest.mark.parametrize(
    ("passphrase", "message", "hint"),
    [
        ("wrong horse", "the passphrase does not decrypt the private key", None),
        (
            None,
            "the private key is encrypted and no passphrase was given",
            "ssop: hint: give the passphrase on stdin: --passphrase-stdin",
        ),
    ],
)
def test_an_encrypted_key_with_a_wrong_or_no_passphrase(
    admin_cli: Cli,
    store_engine: Engine,
    sshd: Sshd,
    passphrase: str | None,
    message: str,
    hint: str | None,
) -> None:
    extra = ("--passphrase-stdin",) if passphrase else ()
    args = add_args(sshd, "web1", "ed25519_encrypted", *extra)
    stdin = f"{passphrase}\n" if passphrase else None
    before = snapshot(store_engine, TABLES)
    result = admin_cli(*args, input=stdin)
    assert result.exit_code == 2
    path = sshd.keys["ed25519_encrypted"].path
    assert error_line(result) == f"ssop: error: key file {path}: {message}"
    if hint:
        assert result.stderr.splitlines()[1] == hint
    assert unchanged_but_refusals(before, snapshot(store_engine, TABLES))
    assert "wrong horse" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("NAME", "bad name"), "invalid server name 'bad name'"),
        (("--host", "-oProxyCommand=sh"), "invalid host '-oProxyCommand=sh'"),
        (("--port", "0"), "invalid port 0: expected 1-65535"),
        (("--port", "70000"), "invalid port 70000: expected 1-65535"),
        (("--user", "root;id"), "invalid user name 'root;id'"),
        (("--tag", "a b"), "invalid tag 'a b'"),
        (("--accept-host-key", "MD5:00"), "invalid host key fingerprint 'MD5:00'"),
    ],
)
def test_invalid_input(
    admin_cli: Cli,
    store_engine: Engine,
    sshd: Sshd,
    change: tuple[str, str],
    message: str,
) -> None:
    args = add_args(sshd)
    flag, value = change
    if flag == "NAME":
        args[2] = value
    elif flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    line = refused(admin_cli, store_engine, args, 2)
    assert line.startswith(f"ssop: error: {message}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("server", "add", "me", "--local", "--key-file", "/etc/hostname"),
            "--local runs commands on this machine without SSH",
        ),
        (("server", "add", "me", "--local", "--host", "h"), "--local runs commands"),
        (("server", "add", "x", "--host", "h"), "needs --key-file PATH or --agent"),
        (("server", "add", "x", "--agent"), "a remote server needs --host"),
        (
            ("server", "add", "x", "--host", "h", "--passphrase-stdin"),
            "needs --key-file",
        ),
        (("server", "edit", "x", "--tag", "a", "--clear-tags"), "not both"),
        (
            (
                "server",
                "add",
                "x",
                "--host",
                "h",
                "--agent",
                "--accept-host-key",
                "SHA256:" + "A" * 43,
                "--trust-on-first-use",
            ),
            "not both",
        ),
    ],
)
def test_contradictory_options(
    admin_cli: Cli, store_engine: Engine, args: tuple[str, ...], message: str
) -> None:
    line = refused(admin_cli, store_engine, args, 2)
    assert message in line


def test_a_viewer_reads_but_cannot_change(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd
) -> None:
    ok(admin_cli, *add_args(sshd))
    ok(
        admin_cli,
        "user",
        "add",
        "vera",
        "--role",
        "viewer",
        "--password-stdin",
        input="vera-password-1\n",
    )
    ok(
        admin_cli,
        "login",
        "--username",
        "vera",
        "--password-stdin",
        input="vera-password-1\n",
    )
    assert "web1" in ok(admin_cli, "server", "list")
    for args in (
        add_args(sshd, "web2"),
        ["server", "edit", "web1", "--description", "x"],
        ["server", "rm", "web1", "--yes"],
        ["server", "trust", "web1", "--fingerprint", sshd.host_key.fingerprint],
    ):
        line = refused(admin_cli, store_engine, args, 4)
        assert line == (
            "ssop: error: permission denied: vera (role viewer) lacks servers.write"
        )


def test_no_private_key_material_at_rest(
    admin_cli: Cli, store_url: str, sshd: Sshd
) -> None:
    ok(
        admin_cli,
        *add_args(sshd, "locked", "ed25519_encrypted", "--passphrase-stdin"),
        input="correct horse\n",
    )
    ok(admin_cli, *add_args(sshd, "plain", "rsa"))
    ok(admin_cli, *add_args(sshd, "curve", "ecdsa"))

    at_rest = bytes_at_rest(store_url)

    assert b"locked" in at_rest and sshd.keys["rsa"].fingerprint.encode() in at_rest
    assert b"PRIVATE KEY" not in at_rest
    assert b"correct horse" not in at_rest
    for name in ("ed25519_encrypted", "rsa", "ecdsa"):
        body = [
            line
            for line in sshd.keys[name].pem.splitlines()
            if line and not line.startswith("-----")
        ]
        assert len(body) >= 3
        for line in body:
            assert line.encode() not in at_rest, f"{name}: {line}"


@pytest.mark.parametrize("case", ["missing", "exposed"])
def test_without_a_usable_master_key_nothing_is_stored_or_decrypted(
    admin_cli: Cli, store_engine: Engine, sshd: Sshd, case: str
) -> None:
    ok(admin_cli, *add_args(sshd, "web1"))
    key_file = Path(admin_cli.env["XDG_CONFIG_HOME"]) / "ssop" / "secret.key"
    if case == "missing":
        key_file.unlink()
        expected = f"ssop: error: no master key: {key_file} does not exist"
    else:
        key_file.chmod(0o640)
        expected = f"ssop: error: key file {key_file} is readable by group or others"

    for args in (add_args(sshd, "web2"), ["server", "test", "web1"]):
        assert refused(admin_cli, store_engine, args, 2) == expected


def test_add_assigns_the_builtin_get_actions_unless_told_not_to(
    admin_cli: Cli, sshd: Sshd
) -> None:
    ok(admin_cli, *add_args(sshd, "web1"))
    shown = json.loads(ok(admin_cli, "server", "show", "web1", "--format", "json"))
    names = {a["name"] for a in shown["actions"]}
    assert {"get_cpu_usage", "get_memory_usage", "get_disk_usage"} <= names
    assert all(a["name"].startswith("get_") for a in shown["actions"])
    assert not any(a["automatic"] for a in shown["actions"])
