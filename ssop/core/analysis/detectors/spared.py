"""Process names no detector proposes to kill.

The guard rails' protected processes (init, sshd, journald, ...), and what
ssop's own session runs on a host while it reads or acts: its shells and
the tools its scripts call. Killing a shell by name would also end every
other shell there, so a busy ``sh`` is reported but never proposed.
"""

from __future__ import annotations

from ssop.core.analysis.base import AnalysisContext

OWN_SESSION = frozenset(
    {
        *("sh", "dash", "bash", "ash", "busybox", "sudo", "sleep", "timeout"),
        *("cat", "grep", "awk", "mawk", "gawk", "sort", "head", "tail", "stat"),
        *("df", "getconf", "find", "journalctl", "systemctl", "firewall-cmd"),
    }
)


def spared(name: str, ctx: AnalysisContext) -> str | None:
    """Why ``name`` must not be killed, or None."""
    if name in ctx.guards.protected_processes:
        return f"{name} is a protected process"
    if name in OWN_SESSION:
        return f"{name} may be ssop's own session"
    return None
