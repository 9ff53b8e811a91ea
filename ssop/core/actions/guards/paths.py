"""Cleanup roots: a changing action may only touch paths under them.

A ``path`` parameter of a ``command_execute`` action must name a root from
``guards.cleanup_roots`` or something below one. ssop checks the text here;
only the host can say where a path leads, so the command is also wrapped in
``scripts.CONFINE_SCRIPT``, which resolves every symlink with ``readlink -f``
and refuses to start the command when the target lands outside the roots.
"""

from __future__ import annotations

import posixpath

from ssop.core.actions import scripts
from ssop.core.errors import InvalidInput


def is_clean_root(root: str) -> bool:
    """An absolute, normalised path other than ``/`` (or POSIX's ``//``)."""
    clean = root.startswith("/") and posixpath.normpath(root) == root
    return clean and root != "/" and not root.startswith("//")


def is_under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def check_cleanup_path(name: str, path: str, roots: tuple[str, ...]) -> None:
    """Refuse a path that is not, as written, under one of ``roots``.

    Raises:
        InvalidInput: naming the parameter and the configured roots.
    """
    if not is_under(path, roots):
        shown = ", ".join(roots) or "none configured"
        raise InvalidInput(
            f"parameter {name!r}: {path} is outside the cleanup roots ({shown})",
            hint="changing actions touch only paths under guards.cleanup_roots",
        )


def confine(
    argv: tuple[str, ...], path: str, roots: tuple[str, ...]
) -> tuple[str, ...]:
    """``argv`` behind the host-side check that ``path`` resolves under ``roots``.

    Raises:
        InvalidInput: there are no roots, so nothing could ever pass.
    """
    if not roots:
        raise InvalidInput(f"{path}: no cleanup roots are configured")
    return ("sh", "-c", scripts.CONFINE_SCRIPT, "sh", path, *roots, "--", *argv)
