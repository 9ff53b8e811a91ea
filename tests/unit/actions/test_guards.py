"""Guard rails: well-formed values that must never be blocked, stopped or killed."""

from __future__ import annotations

import ipaddress

import pytest

from ssop.core.actions.guards.checks import (
    DEFAULT_PROTECTED_UNITS,
    GuardConfig,
    check_blockable,
    check_killable,
    check_stoppable,
)
from ssop.core.actions.params import ParamSpec
from ssop.core.errors import InvalidInput

CONFIG = GuardConfig.from_strings(
    own_addresses=["198.51.100.10", "2001:db8:aa::10"],
    never_block=["203.0.113.0/24", "2001:db8:ff::/48"],
)


def _addr(text: str) -> object:
    return ParamSpec("ip", "ip").parse(text)


def _net(text: str) -> object:
    return ParamSpec("net", "cidr").parse(text)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("198.51.100.10", "ssop host"),
        ("::ffff:198.51.100.10", "ssop host"),
        ("2001:db8:aa::10", "ssop host"),
        ("203.0.113.77", "never-block"),
        ("2001:db8:ff::1", "never-block"),
    ],
)
def test_special_and_protected_addresses_are_never_blocked(text: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=f"parameter 'ip': .*{why}"):
        check_blockable(_addr(text), "ip", CONFIG)


@pytest.mark.parametrize("text", ["192.0.2.1", "198.51.100.11", "2001:db8:1::1"])
def test_ordinary_addresses_may_be_blocked(text: str) -> None:
    check_blockable(_addr(text), "ip", CONFIG)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0.0.0.0/0", "wider than /16"),
        ("::/0", "wider than /48"),
        ("10.0.0.0/8", "wider than /16"),
        ("198.51.100.0/24", "contains the ssop host"),
        ("203.0.112.0/23", "never-block"),
        ("127.0.0.0/16", "loopback"),
    ],
)
def test_networks_are_refused_when_wide_or_overlapping(text: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        check_blockable(_net(text), "net", CONFIG)


def test_a_narrow_foreign_network_may_be_blocked() -> None:
    check_blockable(_net("192.0.2.0/24"), "net", CONFIG)


@pytest.mark.parametrize(
    "unit", [*DEFAULT_PROTECTED_UNITS, "sshd.service", "ssh.socket", "dbus.service"]
)
def test_protected_units_are_never_stopped(unit: str) -> None:
    with pytest.raises(InvalidInput, match="'service': .* protected unit"):
        check_stoppable(unit, "service", CONFIG)


@pytest.mark.parametrize("unit", ["nginx", "nginx.service", "sshd-keygen", "sshd.path"])
def test_other_units_may_be_stopped(unit: str) -> None:
    check_stoppable(unit, "service", CONFIG)


def test_the_protected_unit_list_is_configurable() -> None:
    config = GuardConfig.from_strings(protected_units=["nginx.service"])
    with pytest.raises(InvalidInput):
        check_stoppable("nginx", "service", config)
    check_stoppable("sshd", "service", config)


@pytest.mark.parametrize("name", ["sshd", "sshd-session", "systemd", "init"])
def test_protected_processes_are_never_killed(name: str) -> None:
    with pytest.raises(InvalidInput, match="'process': .* protected process"):
        check_killable(name, "process", CONFIG)


def test_guard_config_refuses_bad_text() -> None:
    with pytest.raises(InvalidInput, match="guard config"):
        GuardConfig.from_strings(never_block=["10.0.0.0/33"])


def test_guard_config_keeps_parsed_values() -> None:
    assert CONFIG.own_addresses[0] == ipaddress.ip_address("198.51.100.10")
    assert ipaddress.ip_network("203.0.113.0/24") in CONFIG.never_block
