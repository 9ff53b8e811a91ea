"""Jump hosts: the wording of a failure on the way to a server."""

from __future__ import annotations

from ssop.core.errors import JumpUnreachable, TransportError


def jump_unreachable(name: str, jump: str, error: TransportError) -> JumpUnreachable:
    """``error`` (raised for ``jump``) retold for the server behind it.

    A jump failing further up a chain keeps naming the hop that failed.
    """
    if isinstance(error, JumpUnreachable):
        cause = error.message.split(": ", 1)[-1]
        return JumpUnreachable(f"server {name}: {cause}", error.hint)
    cause = error.message.removeprefix(f"server {jump}: ")
    return JumpUnreachable(
        f"server {name}: jump host {jump} unreachable: {cause}", error.hint
    )
