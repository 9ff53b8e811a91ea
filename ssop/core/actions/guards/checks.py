"""Guard rails: values that are well-formed but must never be acted on.

A parameter's type says what a value *is*; a guard says whether this action
may touch it. Guards are named (``GUARDS``) so a parameter opts in by name,
and a custom action can opt in the same way as a built-in.

``GuardConfig`` carries the per-deployment facts: the ssop host's own
addresses (as the servers see them), a never-block list, the units and
process names that may never be stopped or killed, and the roots a changing
action's paths must stay under (see ``paths``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ssop.core.actions.guards.paths import is_clean_root
from ssop.core.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Stopping any of these can cut ssop (or anyone) off the host.
DEFAULT_PROTECTED_UNITS = (
    "sshd",
    "ssh",
    "networking",
    "dbus",
    "dbus-broker",
    "systemd-journald",
    "systemd-networkd",
    "NetworkManager",
)
DEFAULT_PROTECTED_PROCESSES = (
    "init",
    "systemd",
    "sshd",
    "sshd-session",
    "sshd-auth",
    "dbus-daemon",
    "dbus-broker",
    "systemd-journal",
)
_UNIT_SUFFIXES = (".service", ".socket")
_MAPPED_V4 = ipaddress.IPv6Network("::ffff:0:0/96")
# The widest network a "cidr" block may name, per IP version.
MIN_BLOCK_PREFIX = {4: 16, 6: 48}
_SPECIAL_NETS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified ('this network') address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved or broadcast address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("fe80::/10", "a link-local address"),
    ("ff00::/8", "a multicast address"),
)
SPECIAL_NETS = tuple((ipaddress.ip_network(n), why) for n, why in _SPECIAL_NETS)


@dataclass(frozen=True)
class GuardConfig:
    """What this deployment protects; build it once from settings."""

    own_addresses: tuple[IPAddress, ...] = ()
    never_block: tuple[IPNetwork, ...] = ()
    protected_units: tuple[str, ...] = DEFAULT_PROTECTED_UNITS
    protected_processes: tuple[str, ...] = DEFAULT_PROTECTED_PROCESSES
    cleanup_roots: tuple[str, ...] = ()

    @classmethod
    def from_strings(
        cls,
        *,
        own_addresses: Iterable[str] = (),
        never_block: Iterable[str] = (),
        protected_units: Iterable[str] = DEFAULT_PROTECTED_UNITS,
        protected_processes: Iterable[str] = DEFAULT_PROTECTED_PROCESSES,
        cleanup_roots: Iterable[str] = (),
    ) -> GuardConfig:
        """Build from configuration text.

        Raises:
            InvalidInput: an address or CIDR does not parse, or a cleanup
                root is not a normalised absolute path other than /.
        """
        try:
            own = tuple(ipaddress.ip_address(a) for a in own_addresses)
            nets = tuple(ipaddress.ip_network(n, strict=False) for n in never_block)
        except ValueError as e:
            raise InvalidInput(f"guard config: {e}") from e
        roots = tuple(cleanup_roots)
        bad = [r for r in roots if not is_clean_root(r)]
        if bad:
            raise InvalidInput(f"guard config: cleanup root {bad[0]!r} is not clean")
        return cls(
            own_addresses=own,
            never_block=nets,
            protected_units=tuple(protected_units),
            protected_processes=tuple(protected_processes),
            cleanup_roots=roots,
        )


@dataclass(frozen=True)
class Guard:
    """A named guard rail and the parameter types it applies to."""

    name: str
    types: tuple[str, ...]
    help: str
    check: Callable[[object, str, GuardConfig], None]


def unmap(net: IPNetwork) -> IPNetwork:
    """Turn an IPv4-mapped IPv6 network (::ffff:a.b.c.d) into its IPv4 network."""
    if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_MAPPED_V4):
        low = int(net.network_address) & 0xFFFFFFFF
        return ipaddress.IPv4Network((low, net.prefixlen - 96))
    return net


def _as_net(value: object) -> IPNetwork:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return unmap(ipaddress.ip_network(value))
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return unmap(value)
    raise TypeError(f"not an address or network: {value!r}")


def check_blockable(value: object, name: str, config: GuardConfig) -> None:
    """Refuse addresses and networks that must never be blocked.

    Raises:
        InvalidInput: naming the parameter and the rule that refused it.
    """
    net = _as_net(value)
    where = f"parameter {name!r}: {value}"
    verb = "is" if net.num_addresses == 1 else "contains"
    if net.prefixlen < MIN_BLOCK_PREFIX[net.version]:
        raise InvalidInput(f"{where} is wider than /{MIN_BLOCK_PREFIX[net.version]}")
    for special, why in SPECIAL_NETS:
        if special.version == net.version and net.overlaps(special):
            raise InvalidInput(f"{where} {verb} {why} and is never blocked")
    for own in config.own_addresses:
        own_net = _as_net(own)
        if own_net.version == net.version and net.overlaps(own_net):
            raise InvalidInput(f"{where} {verb} the ssop host's address {own}")
    for never in config.never_block:
        never = unmap(never)
        if never.version == net.version and net.overlaps(never):
            raise InvalidInput(f"{where} overlaps the never-block entry {never}")


def unit_stem(unit: str) -> str:
    """``sshd.service`` and ``sshd.socket`` both name the ``sshd`` service."""
    for suffix in _UNIT_SUFFIXES:
        if unit.endswith(suffix):
            return unit[: -len(suffix)]
    return unit


def check_stoppable(value: object, name: str, config: GuardConfig) -> None:
    """Refuse units that may never be stopped or restarted.

    Raises:
        InvalidInput: the unit is on the protected list.
    """
    protected = {unit_stem(u) for u in config.protected_units}
    if unit_stem(str(value)) in protected:
        raise InvalidInput(
            f"parameter {name!r}: {value} is a protected unit and is never stopped",
            hint="protected units are set by the guard configuration",
        )


def check_killable(value: object, name: str, config: GuardConfig) -> None:
    """Refuse process names that may never be killed.

    Raises:
        InvalidInput: the process name is on the protected list.
    """
    if str(value) in config.protected_processes:
        raise InvalidInput(
            f"parameter {name!r}: {value} is a protected process and is never killed",
            hint="protected processes are set by the guard configuration",
        )


GUARDS: Mapping[str, Guard] = MappingProxyType(
    {
        g.name: g
        for g in (
            Guard(
                "blockable",
                ("ip", "cidr"),
                "never loopback, own, special",
                check_blockable,
            ),
            Guard("stoppable", ("unit",), "never a protected unit", check_stoppable),
            Guard(
                "killable", ("process",), "never a protected process", check_killable
            ),
        )
    }
)
