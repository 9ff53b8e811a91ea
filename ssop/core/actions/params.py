"""Parameter types: the one validator each action parameter value goes through.

Every type accepts a deliberately small character set, so a value that
passes can never be read as an option (no leading ``-``), a path escape
(``..``), a glob or a shell word boundary. Values reach a remote shell only
as single argv tokens quoted by ``Command.as_shell()``; the validators are
the second wall, not the first.

There is no free-text type on purpose: a value that may hold anything is a
value a template author will one day paste into ``sh -c``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass
from types import MappingProxyType

from ssop.core.actions.guards.checks import GUARDS, IPAddress, IPNetwork
from ssop.core.actions.guards.paths import is_clean_root, is_under
from ssop.core.errors import InvalidInput

ParamValue = str | int | IPAddress | IPNetwork

MAX_RAW_LEN = 4096
PARAM_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_UNIT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_.@-]*")
_PROCESS_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._+:@-]*")
_WORD_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._:@+=,-]*")
_INT_RE = re.compile(r"[0-9]+")
_IP_CHARS_RE = re.compile(r"[0-9A-Fa-f:.]+(/[0-9]{1,3})?")
# The kernel keeps 15 bytes of a process name (TASK_COMM_LEN - 1); a longer
# name can never equal /proc/PID/comm, so it is refused rather than truncated.
COMM_MAX = 15
UNIT_MAX = 255


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter of an action.

    ``required`` and ``default`` must agree: a required parameter has no
    default, an optional one must have a default, because a template token
    can never be dropped. ``roots`` applies to the ``path`` type only.
    ``guard`` names a guard rail from ``guards.GUARDS`` applied after the type.
    """

    name: str
    type: str
    _: KW_ONLY
    required: bool = True
    default: str | None = None
    help: str = ""
    roots: tuple[str, ...] = ()
    guard: str | None = None

    def __post_init__(self) -> None:
        _check_param_spec(self)

    def parse(self, raw: str) -> ParamValue:
        """Validate ``raw`` against this parameter's type.

        Raises:
            InvalidInput: naming the parameter and what is wrong with the value.
        """
        return PARAM_TYPES[self.type].parse(raw, self)


@dataclass(frozen=True)
class ParamType:
    """A named parameter type: what it accepts and its validator."""

    name: str
    help: str
    parse: Callable[[str, ParamSpec], ParamValue]


def refuse(spec: ParamSpec, raw: str, why: str) -> InvalidInput:
    """Build the InvalidInput every validator raises: it names the parameter."""
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    return InvalidInput(f"parameter {spec.name!r}: {shown!r} {why}")


def _has_control(raw: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in raw)


def _common(raw: str, spec: ParamSpec, limit: int) -> None:
    if raw == "":
        raise InvalidInput(f"parameter {spec.name!r}: must not be empty")
    if len(raw) > limit:
        raise refuse(spec, raw, f"is too long ({len(raw)} characters, at most {limit})")
    if _has_control(raw):
        raise refuse(spec, raw, "contains a control character")
    if raw.startswith("-"):
        raise refuse(spec, raw, "must not start with '-' (it would read as an option)")


def _charset(raw: str, spec: ParamSpec, pattern: re.Pattern[str], what: str) -> None:
    if not pattern.fullmatch(raw) or set(raw) == {"."} or ".." in raw:
        raise refuse(spec, raw, f"is not a valid {what}")


def parse_unit(raw: str, spec: ParamSpec) -> str:
    _common(raw, spec, UNIT_MAX)
    _charset(raw, spec, _UNIT_RE, "systemd unit name (letters, digits, : _ . @ -)")
    return raw


def parse_process(raw: str, spec: ParamSpec) -> str:
    _common(raw, spec, MAX_RAW_LEN)
    if len(raw) > COMM_MAX:
        raise refuse(spec, raw, f"is longer than a process name can be ({COMM_MAX})")
    _charset(raw, spec, _PROCESS_RE, "process name (letters, digits, . _ + : @ -)")
    return raw


def parse_word(raw: str, spec: ParamSpec) -> str:
    _common(raw, spec, 128)
    _charset(raw, spec, _WORD_RE, "word (letters, digits, . _ : @ + = , -)")
    return raw


def _int_in(raw: str, spec: ParamSpec, low: int, high: int) -> int:
    _common(raw, spec, 10)
    # int() alone would accept " 7", "+7", "1_0" and non-ASCII digits.
    if not _INT_RE.fullmatch(raw):
        raise refuse(spec, raw, "is not a whole number written in digits 0-9")
    value = int(raw)
    if not low <= value <= high:
        raise refuse(spec, raw, f"is out of range ({low}..{high})")
    return value


def parse_positive_int(raw: str, spec: ParamSpec) -> int:
    return _int_in(raw, spec, 1, 2**31 - 1)


def parse_port(raw: str, spec: ParamSpec) -> int:
    return _int_in(raw, spec, 1, 65535)


def _ip_text(raw: str, spec: ParamSpec) -> str:
    _common(raw, spec, 49)
    if not _IP_CHARS_RE.fullmatch(raw):
        raise refuse(spec, raw, "is not an IPv4 or IPv6 address")
    return raw


def parse_ip(raw: str, spec: ParamSpec) -> IPAddress:
    net = parse_cidr(_ip_text(raw, spec), spec)
    if net.num_addresses != 1:
        raise refuse(spec, raw, "must be a single address, not a network")
    return net.network_address


def parse_cidr(raw: str, spec: ParamSpec) -> IPNetwork:
    try:
        return ipaddress.ip_network(_ip_text(raw, spec), strict=True)
    except ValueError as e:
        raise refuse(spec, raw, f"is not an IP address or network ({e})") from e


def parse_path(raw: str, spec: ParamSpec) -> str:
    _common(raw, spec, MAX_RAW_LEN)
    if not raw.startswith("/") or posixpath.normpath(raw) != raw:
        raise refuse(spec, raw, "must be an absolute path without '.', '..' or '//'")
    if not is_under(raw, spec.roots):
        raise refuse(
            spec, raw, f"is not under an allowed root ({', '.join(spec.roots)})"
        )
    return raw


PARAM_TYPES: Mapping[str, ParamType] = MappingProxyType(
    {
        t.name: t
        for t in (
            ParamType(
                "unit", "a systemd unit name, e.g. nginx or nginx.service", parse_unit
            ),
            ParamType(
                "process", "an exact process name as in /proc/PID/comm", parse_process
            ),
            ParamType("ip", "one IPv4 or IPv6 address", parse_ip),
            ParamType("cidr", "an IPv4 or IPv6 network, e.g. 192.0.2.0/24", parse_cidr),
            ParamType("positive_int", "a whole number from 1", parse_positive_int),
            ParamType("port", "a TCP/UDP port number 1..65535", parse_port),
            ParamType(
                "path", "an absolute path under the parameter's roots", parse_path
            ),
            ParamType(
                "word", "a short token: letters, digits, . _ : @ + = , -", parse_word
            ),
        )
    }
)


def _check_param_spec(spec: ParamSpec) -> None:
    where = f"parameter {spec.name!r}"
    if not PARAM_NAME_RE.fullmatch(spec.name):
        raise InvalidInput(f"{where}: a name is a-z, 0-9 and _, starting with a letter")
    if spec.type not in PARAM_TYPES:
        known = ", ".join(PARAM_TYPES)
        raise InvalidInput(f"{where}: unknown type {spec.type!r} (known: {known})")
    if spec.required == (spec.default is not None):
        raise InvalidInput(f"{where}: give a default exactly when it is optional")
    _check_roots(spec, where)
    _check_guard(spec, where)
    if spec.default is not None:
        spec.parse(spec.default)


def _check_roots(spec: ParamSpec, where: str) -> None:
    if (spec.type == "path") != bool(spec.roots):
        raise InvalidInput(f"{where}: roots are required for, and only for, type path")
    for root in spec.roots:
        if not is_clean_root(root):
            raise InvalidInput(
                f"{where}: root {root!r} must be a normalised absolute path, not /"
            )


def _check_guard(spec: ParamSpec, where: str) -> None:
    if spec.guard is None:
        return
    guard = GUARDS.get(spec.guard)
    if guard is None:
        raise InvalidInput(
            f"{where}: unknown guard {spec.guard!r} (known: {', '.join(GUARDS)})"
        )
    if spec.type not in guard.types:
        raise InvalidInput(
            f"{where}: guard {spec.guard!r} applies to types {', '.join(guard.types)}"
        )
