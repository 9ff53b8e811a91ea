"""``ssop server import`` from an Ansible inventory (through Ansible's own
parser, and as JSON on stdin) and from an ssh_config with a jump host."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from ssop.core.store.server_repo import ServerRepo
from tests.cli.conftest import Cli, error_line
from tests.support.jump_sshd import JUMP_ADDRESS, jump_sshd
from tests.support.server_cli import ok, row
from tests.support.sshd import Sshd, dead_host

__all__ = ["jump_sshd"]  # a fixture


@pytest.fixture
def site(cli: Cli) -> Cli:
    ok(cli, "quickstart")
    return cli


@pytest.fixture
def engine(cli: Cli) -> Engine:
    return create_engine(cli.env["SSOP_DATABASE_URL"])


def tags(engine: Engine, name: str) -> list[str]:
    with Session(engine) as s:
        repo = ServerRepo(s)
        return repo.tags(repo.get(name).id or 0)


def names(engine: Engine) -> set[str]:
    with Session(engine) as s:
        return {x.name for x in ServerRepo(s).list()}


def inventory(tmp_path: Path, sshd: Sshd) -> Path:
    key = sshd.keys["ed25519"].path
    common = f"ansible_port={sshd.port} ansible_user=root"
    path = tmp_path / "hosts.ini"
    path.write_text(
        "[web]\n"
        f"web1 ansible_host={sshd.addresses[0]} {common}\n"
        f"web2 ansible_host={sshd.addresses[1]} {common}\n"
        "[db]\n"
        f"db1 ansible_host={sshd.addresses[0]} {common}\n"
        "[prod:children]\nweb\ndb\n"
        "[all:vars]\n"
        f"ansible_ssh_private_key_file={key}\n"
    )
    return path


def test_an_inventory_of_three_groups_dry_run_then_for_real(
    site: Cli, sshd: Sshd, engine: Engine, tmp_path: Path
) -> None:
    path = inventory(tmp_path, sshd)
    dry = ok(site, "server", "import", "--inventory", str(path), "--dry-run")
    assert f"would add web2: root@{sshd.addresses[1]}:{sshd.port} tags prod,web" in dry
    assert "dry run: added 3, updated 0, skipped 0, failed 0" in dry
    assert names(engine) == {"localhost"}
    out = ok(site, "server", "import", "--inventory", str(path), "--trust-on-first-use")
    assert out.count(f"pinned {sshd.host_key.fingerprint}") == 3
    assert "added 3, updated 0, skipped 0, failed 0" in out
    assert tags(engine, "web1") == ["prod", "web"]
    assert tags(engine, "db1") == ["db", "prod"]
    assert (row(engine, "web2").host, row(engine, "web2").port) == (
        sshd.addresses[1],
        sshd.port,
    )
    again = ok(site, "server", "import", "--inventory", str(path))
    assert "skipped web1: exists (use --update)" in again
    assert "added 0, updated 0, skipped 3, failed 0" in again


def test_ansible_json_on_stdin_and_update(
    site: Cli, sshd: Sshd, engine: Engine, tmp_path: Path
) -> None:
    listed = subprocess.run(
        ["ansible-inventory", "-i", str(inventory(tmp_path, sshd)), "--list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    args = ("server", "import", "--ansible-json", "-", "--trust-on-first-use")
    ok(site, *args, input=listed)
    data = json.loads(listed)
    data["_meta"]["hostvars"]["db1"]["ansible_host"] = sshd.addresses[1]
    data["staging"] = {"hosts": ["web1"]}
    changed = json.dumps(data)
    kept = ok(site, *args, input=changed)
    assert "skipped 3" in kept and row(engine, "db1").host == sshd.addresses[0]
    out = ok(site, *args, "--update", input=changed)
    assert "updated db1: changed: host" in out
    assert "updated web1: changed: tags" in out
    assert "added 0, updated 2, skipped 1, failed 0" in out
    assert row(engine, "db1").host == sshd.addresses[1]
    assert tags(engine, "web1") == ["prod", "staging", "web"]


def ssh_config(tmp_path: Path, sshd: Sshd, jump: Sshd, extra: str = "") -> Path:
    key = sshd.keys["ed25519"].path
    path = tmp_path / "ssh_config"
    path.write_text(
        "Host bastion\n"
        f"  HostName {JUMP_ADDRESS}\n"
        f"  Port {jump.port}\n"
        "Host t1 t2\n"
        f"  Port {sshd.port}\n"
        "  ProxyJump bastion\n"
        "Host t1\n"
        f"  HostName {sshd.addresses[0]}\n"
        "Host t2\n"
        f"  HostName {sshd.addresses[1]}\n"
        f"{extra}"
        "Host *\n"
        "  User root\n"
        f"  IdentityFile {key}\n"
        "  ServerAliveInterval 30\n"
    )
    return path


def test_an_ssh_config_with_a_jump_host_imports_and_crawls_through_it(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine, tmp_path: Path
) -> None:
    path = str(ssh_config(tmp_path, sshd, jump_sshd))
    dry = ok(site, "server", "import", "--ssh-config", path, "--dry-run")
    assert f"would add t2: root@{sshd.addresses[1]}:{sshd.port} via bastion" in dry
    assert "dry run: added 3, updated 0, skipped 0, failed 0" in dry
    assert names(engine) == {"localhost"}
    out = ok(site, "server", "import", "--ssh-config", path, "--trust-on-first-use")
    assert f"added bastion: root@{JUMP_ADDRESS}:{jump_sshd.port}" in out
    assert out.count(f"pinned {sshd.host_key.fingerprint}") == 2
    assert row(engine, "t1").jump == "bastion"
    result = site("crawl", "t1", "t2")
    assert result.exit_code == 0, (result.stdout, result.stderr)


def test_a_failed_host_does_not_stop_the_others_and_sets_the_exit_code(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine, tmp_path: Path
) -> None:
    host, port = dead_host()
    dead = f"Host gone\n  HostName {host}\n  Port {port}\n"
    path = str(ssh_config(tmp_path, sshd, jump_sshd, dead))
    result = site("server", "import", "--ssh-config", path, "--trust-on-first-use")
    assert result.exit_code == 1
    # the warnings name each key trusted on first use; the error comes last
    assert result.stderr.count("on first use") == 3
    last = result.stderr.splitlines()[-1]
    assert last == "ssop: error: 1 of 4 host(s) failed to import"
    assert "failed gone: server gone: connection refused" in result.stdout
    assert "added 3, updated 0, skipped 0, failed 1" in result.stdout
    assert names(engine) == {"localhost", "bastion", "t1", "t2"}


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("Host a\n  HostName\n", (), "{path}:2: does not parse: 'HostName'"),
        (
            "Host a\n  Port 22\nHost a\n  Port 23\n",
            (),
            "{path}:3: duplicate name 'a' (a Host block of its own on line 1 too)",
        ),
        (
            "Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n",
            (),
            "a loop in the jump hosts (ProxyJump): a -> b -> a",
        ),
        ("Host a\n  Port 22\n", ("--only", "web*"), "host pattern 'web*' matches"),
        ("Host *\n  User root\n", (), "the source lists no host"),
    ],
)
def test_bad_ssh_config_input_is_one_line_and_exit_2(
    site: Cli,
    engine: Engine,
    tmp_path: Path,
    text: str,
    args: tuple[str, ...],
    message: str,
) -> None:
    path = tmp_path / "cfg"
    path.write_text(text)
    result = site("server", "import", "--ssh-config", str(path), *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert error_line(result).startswith("ssop: error: " + message.format(path=path))
    assert names(engine) == {"localhost"}


def test_an_inventory_ansible_cannot_parse_names_the_file(
    site: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "bad.ini"
    path.write_text("[web]\nweb1 ansible_host=10.0.0.1\n[bad\nx = = y\n")
    result = site("server", "import", "--inventory", str(path))
    assert result.exit_code == 2
    line = error_line(result)
    assert line.startswith(f"ssop: error: inventory {path}: ")
    assert "Failed to parse" in line
    broken = site("server", "import", "--ansible-json", "-", input='{"_meta": \n[')
    assert broken.exit_code == 2
    assert error_line(broken).startswith("ssop: error: -:2: not JSON")
