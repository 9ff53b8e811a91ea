"""The ssop host's own addresses, which no action may ever block.

Three cheap sources, each best effort: what the host name resolves to, the
addresses on the local interfaces (Linux: an ioctl per interface for IPv4,
``/proc/net/if_inet6`` for IPv6), and, per server, the source address the
kernel picks to reach it, which is the address that server sees us at
unless a NAT sits in between (then no local fact can tell it).
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

SIOCGIFADDR = 0x8915
IF_INET6 = Path("/proc/net/if_inet6")


def local_addresses() -> tuple[str, ...]:
    """Addresses of this host by name and on its interfaces, sorted."""
    found = set(_by_hostname()) | set(_ipv4_interfaces()) | set(_ipv6_interfaces())
    return tuple(sorted(found))


def route_source(host: str, port: int) -> str | None:
    """The local address the kernel would use to reach ``host``.

    Connecting a UDP socket sends no packet; it only selects the route.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError) as e:
        log.debug("server address %s: does not resolve: %s", host, e)
        return None
    for family, _type, _proto, _name, address in infos:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect(address)
                return _plain(str(sock.getsockname()[0]))
        except OSError:
            continue
    return None


def _by_hostname() -> Iterator[str]:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except (OSError, UnicodeError) as e:
        log.debug("own addresses: host name does not resolve: %s", e)
        return
    for *_rest, address in infos:
        yield _plain(str(address[0]))


def _ipv4_interfaces() -> Iterator[str]:
    try:
        names = [name for _index, name in socket.if_nameindex()]
    except OSError:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for name in names:
            request = struct.pack("256s", name.encode()[:15])
            try:
                reply = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, request)
            except OSError:  # no IPv4 address on this interface
                continue
            yield socket.inet_ntoa(reply[20:24])


def _ipv6_interfaces() -> Iterator[str]:
    try:
        lines = IF_INET6.read_text().splitlines()
    except OSError:
        return
    for line in lines:
        fields = line.split()
        if fields and len(fields[0]) == 32:
            yield str(ipaddress.IPv6Address(bytes.fromhex(fields[0])))


def _plain(address: str) -> str:
    """Drop an IPv6 zone (``fe80::1%eth0``), which ipaddress refuses."""
    return address.split("%", 1)[0]
