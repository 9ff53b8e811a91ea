"""The errors every SSH adapter raises for a host key it will not accept,
and for a login with no key to offer.

Shared wording, so an operator sees the same message and the same
``ssop server trust`` hint whichever SSH library made the connection.
"""

from __future__ import annotations

from ssop.core.errors import AuthFailed, HostKeyMismatch, HostKeyUnknown
from ssop.core.transport.base import HostKey


def trust_hint(name: str, fingerprint: str) -> str:
    return (
        "verify the fingerprint out of band, then run: "
        f"ssop server trust {name} --fingerprint {fingerprint}"
    )


def unknown_host_key(name: str, presented: HostKey) -> HostKeyUnknown:
    return HostKeyUnknown(
        f"server {name}: no host key is pinned; it presented "
        f"{presented.key_type} {presented.fingerprint}",
        hint=trust_hint(name, presented.fingerprint),
    )


def mismatched_host_key(name: str, pinned: str, presented: str) -> HostKeyMismatch:
    """``pinned`` and ``presented`` are fingerprints."""
    return HostKeyMismatch(
        f"server {name}: HOST KEY MISMATCH (possible man-in-the-middle): "
        f"pinned {pinned}, presented {presented}",
        hint=trust_hint(name, presented) + " (only if the host was rebuilt)",
    )


def no_agent_key(name: str) -> AuthFailed:
    """The server answered, but no key was stored and the agent offered none."""
    return AuthFailed(
        f"server {name}: the SSH agent offers no key (is SSH_AUTH_SOCK set for ssop?)"
    )
