"""Problems a crawl names though the host answered: df failing, sudo asking a password.

A visit that meets one still stores what it got (the other readings, the
action's output) and records the problem as the server's crawl error.
"""

from __future__ import annotations

from ssop.core.actions.readings import Readings
from ssop.core.actions.render import SUDO_PREFIX
from ssop.core.actions.scripts import DF_TIMEOUT_S
from ssop.core.crawl.parse import DfFailed, SudoWantsPassword
from ssop.core.transport.base import Command, CommandResult

# What `sudo -n` says when it would have to ask for a password. sudo
# translates it: in another language it stays a plain non-zero exit.
_SUDO_ASKS = "a password is required"
_STOPPED = (124, 137)  # timeout's statuses: TERM, then KILL


def df_problem(server: str, readings: Readings) -> DfFailed | None:
    """A df that hung, or failed without listing a disk; None otherwise.

    df also fails over one unreadable mount while listing every other one:
    those readings stand, and that is no crawl error.
    """
    status = readings.df_failure
    if status in _STOPPED:
        return DfFailed(
            f"server {server}: df did not finish within {DF_TIMEOUT_S}s "
            "(a hung network mount?); disk readings are missing",
        )
    if status is not None and not readings.disks:
        return DfFailed(
            f"server {server}: df failed (exit {status}); disk readings are missing"
        )
    return None


def sudo_problem(
    server: str, action: str, command: Command, result: CommandResult
) -> SudoWantsPassword | None:
    """``sudo -n`` refusing to run ``command`` because it wants a password."""
    if command.argv[: len(SUDO_PREFIX)] != SUDO_PREFIX or result.exit_code != 1:
        return None
    if _SUDO_ASKS not in result.stderr:
        return None
    return SudoWantsPassword(
        f"server {server}: {action}: sudo wants a password",
        hint=f"let the login run {command.argv[len(SUDO_PREFIX)]} without one "
        "(NOPASSWD in sudoers)",
    )
