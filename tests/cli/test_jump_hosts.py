"""Jump hosts: ``ssop crawl`` reaches loopback sshds through a second sshd
acting as the jump host, over both SSH clients, one jump connection for
every server behind it; failures on the way name the jump."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine, select

from ssop.core.models import CrawlError, Server
from tests.cli.conftest import Cli, error_line
from tests.support.jump_sshd import JUMP_ADDRESS, jump_sshd
from tests.support.server_cli import add_args, ok, row
from tests.support.sshd import Sshd, dead_host

__all__ = ["jump_sshd"]  # a fixture


@pytest.fixture(params=["asyncssh", "fabric"])
def site(request: pytest.FixtureRequest, cli: Cli) -> Cli:
    cli.env["SSOP_SSH__CLIENT"] = request.param
    ok(cli, "quickstart")
    return cli


@pytest.fixture
def engine(cli: Cli) -> Iterator[Engine]:
    engine = create_engine(cli.env["SSOP_DATABASE_URL"])
    yield engine
    engine.dispose()


def logins(sshd: Sshd) -> int:
    """Connections the sshd accepted so far."""
    return Path(sshd.log_path).read_text().count("Accepted publickey")


def add_bastion(cli: Cli, jump: Sshd) -> None:
    ok(cli, *add_args(jump, "bastion"), "--no-default-actions")


def add_behind(cli: Cli, target: Sshd, name: str, host: str, *jump: str) -> str:
    args = add_args(target, name)
    args[args.index("--host") + 1] = host
    return ok(cli, *args, *(a for hop in jump for a in ("--jump", hop)))


def test_crawl_reaches_two_servers_through_one_jump_connection(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine
) -> None:
    add_bastion(site, jump_sshd)
    for name, host in zip(("t1", "t2"), sshd.addresses, strict=True):
        out = add_behind(site, sshd, name, host, "bastion")
        assert f"pinned host key {sshd.host_key.fingerprint}" in out
    assert row(engine, "t2").jump == "bastion"
    before = logins(jump_sshd)
    result = site("crawl", "t1", "t2")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "crawled 2 server(s)" in result.stdout
    assert logins(jump_sshd) == before + 1  # one jump connection, two tunnels
    shown = ok(site, "server", "show", "t1", "--format", "json")
    assert '"jump": "bastion"' in shown


def test_an_unreachable_jump_is_the_cause_and_names_the_jump(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine
) -> None:
    add_bastion(site, jump_sshd)
    add_behind(site, sshd, "t1", sshd.host, "bastion")
    _, dead_port = dead_host(JUMP_ADDRESS)
    ok(site, "server", "edit", "bastion", "--port", str(dead_port))
    result = site("crawl", "t1")
    assert result.exit_code == 5
    assert error_line(result) == "ssop: error: 1 of 1 server(s) could not be crawled"
    expected = (
        f"t1: jump: server t1: jump host bastion unreachable: "
        f"connection refused by {JUMP_ADDRESS}:{dead_port}"
    )
    assert expected in result.stdout
    with Session(engine) as s:
        failure = s.exec(select(CrawlError)).one()
    assert (failure.server_name, failure.cause) == ("t1", "jump")


def test_a_chain_of_two_jumps_and_a_loop_refused(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine
) -> None:
    add_bastion(site, jump_sshd)
    # the second hop is the target sshd's other address, reached via bastion
    add_behind(site, sshd, "inner", sshd.addresses[1], "bastion")
    add_behind(site, sshd, "t1", sshd.host, "bastion,inner")
    assert row(engine, "t1").jump == "bastion,inner"
    result = site("crawl", "t1")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    loop = site("server", "edit", "bastion", "--jump", "t1")
    assert loop.exit_code == 2
    assert error_line(loop) == (
        "ssop: error: a loop in the jump hosts: bastion -> t1 -> inner -> bastion"
    )
    assert row(engine, "bastion").jump is None
    in_use = site("server", "rm", "bastion", "--yes")
    assert in_use.exit_code == 1
    assert "server bastion is the jump host of inner, t1" in error_line(in_use)


def test_a_jump_given_as_an_address_is_added_with_its_key_pinned(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine
) -> None:
    address = f"root@{JUMP_ADDRESS}:{jump_sshd.port}"
    # the target's fingerprint is given; the new jump's key is asked for
    result = site.at_terminal(*add_args(sshd, "t1"), "--jump", address, input="y\n")
    assert result.exit_code == 0, result.stderr
    assert f"presents host key ssh-ed25519 {jump_sshd.host_key.fingerprint}" in (
        result.stderr
    )
    jump_name = f"{JUMP_ADDRESS}-{jump_sshd.port}"
    jump = row(engine, jump_name)
    assert (jump.host, jump.port, jump.username) == (
        JUMP_ADDRESS,
        jump_sshd.port,
        "root",
    )
    assert jump.host_key_fingerprint == jump_sshd.host_key.fingerprint
    assert row(engine, "t1").jump == jump_name
    result = site("crawl", "t1")
    assert result.exit_code == 0, (result.stdout, result.stderr)


def test_the_jump_host_key_is_checked_against_its_pin(
    site: Cli, sshd: Sshd, jump_sshd: Sshd, engine: Engine
) -> None:
    add_bastion(site, jump_sshd)
    add_behind(site, sshd, "t1", sshd.host, "bastion")
    wrong = jump_sshd.other_host_key
    with Session(engine) as s, s.begin():
        bastion = s.exec(select(Server).where(Server.name == "bastion")).one()
        bastion.host_key, bastion.host_key_fingerprint = wrong.base64, wrong.fingerprint
        bastion.host_key_type = wrong.key_type
    result = site("crawl", "t1")
    assert result.exit_code == 5
    line = next(ln for ln in result.stdout.splitlines() if "t1: jump:" in ln)
    assert "jump host bastion unreachable: HOST KEY MISMATCH" in line
    assert f"pinned {wrong.fingerprint}" in line
