"""Parameter types: every hostile input is refused, naming the parameter."""

from __future__ import annotations

import ipaddress
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ssop.core.actions.guards.checks import GuardConfig, check_blockable
from ssop.core.actions.params import PARAM_TYPES, ParamSpec
from ssop.core.errors import InvalidInput
from ssop.core.transport.base import Command

HOSTILE = [
    "nginx; rm -rf /",
    "$(reboot)",
    "`id`",
    "-h",
    "a\nb",
    "../../etc",
    ".*",
    "0.0.0.0/0",
    "1.2.3.4 && curl x",
    "",
    "x" * 5000,
    "a\tb",
    "a b",
    "a\x00b",
    "a\u202eb",  # right-to-left override: a display spoof, not text
    "*",
    "..",
    "--version",
]

SPECS = {
    "unit": ParamSpec("service", "unit"),
    "process": ParamSpec("process", "process"),
    "ip": ParamSpec("ip", "ip"),
    "cidr": ParamSpec("net", "cidr"),
    "positive_int": ParamSpec("days", "positive_int"),
    "port": ParamSpec("port", "port"),
    "path": ParamSpec("dir", "path", roots=("/var/log",)),
    "word": ParamSpec("tag", "word"),
}


def test_every_type_has_a_spec_here() -> None:
    assert set(SPECS) == set(PARAM_TYPES)


@pytest.mark.parametrize("type_name", sorted(SPECS))
@pytest.mark.parametrize("raw", HOSTILE, ids=repr)
def test_hostile_input_is_refused_naming_the_parameter(
    type_name: str, raw: str
) -> None:
    spec = SPECS[type_name]
    with pytest.raises(InvalidInput) as caught:
        value = spec.parse(raw)
        # The one hostile value that is a well-formed cidr: its guard refuses it.
        check_blockable(value, spec.name, GuardConfig())
    assert caught.value.message.startswith(f"parameter {spec.name!r}: ")


@pytest.mark.parametrize(
    ("type_name", "raw", "expected"),
    [
        ("unit", "nginx", "nginx"),
        ("unit", "getty@tty1.service", "getty@tty1.service"),
        ("unit", "php8.2-fpm", "php8.2-fpm"),
        ("process", "ssoptestsleep", "ssoptestsleep"),
        ("process", "php-fpm8.2", "php-fpm8.2"),
        ("ip", "192.0.2.7", ipaddress.ip_address("192.0.2.7")),
        ("ip", "2001:DB8:0:0::1", ipaddress.ip_address("2001:db8::1")),
        ("ip", "192.0.2.7/32", ipaddress.ip_address("192.0.2.7")),
        ("cidr", "192.0.2.0/24", ipaddress.ip_network("192.0.2.0/24")),
        ("positive_int", "7", 7),
        ("positive_int", "2147483647", 2147483647),
        ("port", "65535", 65535),
        ("path", "/var/log/nginx", "/var/log/nginx"),
        ("path", "/var/log", "/var/log"),
        ("word", "v1.2_rc:3", "v1.2_rc:3"),
    ],
)
def test_good_values_parse_to_typed_values(
    type_name: str, raw: str, expected: object
) -> None:
    assert SPECS[type_name].parse(raw) == expected


@pytest.mark.parametrize(
    ("type_name", "raw", "why"),
    [
        ("unit", "a" * 256, "too long"),
        ("process", "a" * 16, "longer than a process name"),
        ("ip", "fe80::1%eth0", "not an IPv4 or IPv6"),
        ("ip", "01.2.3.4", "not an IP address"),
        ("ip", "192.0.2.0/24", "single address"),
        ("cidr", "192.0.2.1/24", "host bits"),
        ("positive_int", "0", "out of range"),
        ("positive_int", "2147483648", "out of range"),
        ("positive_int", "+7", "digits"),
        ("positive_int", "1_0", "digits"),
        ("positive_int", "\u0663", "digits"),  # Arabic-Indic three: int() takes it
        ("port", "65536", "out of range"),
        ("path", "/var/log/../../etc", "absolute path without"),
        ("path", "/var/log//x", "absolute path without"),
        ("path", "/var/logs", "not under an allowed root"),
        ("path", "/etc/passwd", "not under an allowed root"),
        ("path", "var/log/x", "absolute path"),
        ("word", "a/b", "not a valid word"),
    ],
)
def test_specific_refusals_say_why(type_name: str, raw: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        SPECS[type_name].parse(raw)


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"name": "Bad-Name", "type": "unit"}, "a name is"),
        ({"name": "x", "type": "string"}, "unknown type"),
        ({"name": "x", "type": "unit", "default": "nginx"}, "default exactly"),
        ({"name": "x", "type": "unit", "required": False}, "default exactly"),
        ({"name": "x", "type": "unit", "required": False, "default": "-x"}, "'-x'"),
        ({"name": "x", "type": "path"}, "roots are required"),
        ({"name": "x", "type": "unit", "roots": ("/tmp",)}, "roots are required"),
        ({"name": "x", "type": "path", "roots": ("/",)}, "not /"),
        ({"name": "x", "type": "path", "roots": ("/var/../etc",)}, "normalised"),
        ({"name": "x", "type": "unit", "guard": "nope"}, "unknown guard"),
        ({"name": "x", "type": "unit", "guard": "blockable"}, "applies to types"),
    ],
)
def test_param_spec_refuses_inconsistent_declarations(
    kwargs: dict[str, object], why: str
) -> None:
    with pytest.raises(InvalidInput, match=why):
        ParamSpec(**kwargs)  # type: ignore[arg-type]


def _one_token(value: str) -> None:
    line = Command(("systemctl", "status", "--", value)).as_shell()
    assert shlex.split(line) == ["systemctl", "status", "--", value]


@given(st.text(max_size=300))
def test_any_accepted_unit_name_stays_one_token(raw: str) -> None:
    try:
        value = SPECS["unit"].parse(raw)
    except InvalidInput:
        return
    assert isinstance(value, str) and not value.startswith("-")
    _one_token(value)


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_any_accepted_process_or_word_stays_one_token(raw: str) -> None:
    for spec in (SPECS["process"], SPECS["word"]):
        try:
            value = spec.parse(raw)
        except InvalidInput:
            continue
        assert isinstance(value, str)
        assert not set(value) & set(" \t\n;|&$`'\"\\<>()*?[]{}/")
        _one_token(value)


@given(st.text(max_size=60))
def test_any_accepted_ip_is_canonical_and_shell_inert(raw: str) -> None:
    try:
        value = SPECS["ip"].parse(raw)
    except InvalidInput:
        return
    text = str(value)
    assert set(text) <= set("0123456789abcdef:.")
    _one_token(text)
