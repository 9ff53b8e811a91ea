"""Asking a person: hidden passwords, yes/no questions, a name.

Nothing is asked unless standard input is a terminal. A script that forgot
``--yes`` or ``--password-stdin`` gets a usage error (exit 2) at once,
naming the flag, instead of hanging on a read or having getpass fall back
to an echoing stdin with a GetPassWarning.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from ssop.core.errors import InvalidInput


def can_ask() -> bool:
    """Whether a person can answer: standard input is a terminal."""
    return sys.stdin.isatty()


def password(
    from_stdin: bool,
    label: str = "Password",
    confirm: bool = True,
    *,
    flag: str = "--password-stdin",
) -> str:
    """One password; with ``from_stdin``, the next line of standard input."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    _need_terminal(f"the {label.lower()}", flag)
    value: str = typer.prompt(
        label, hide_input=True, confirmation_prompt=confirm, err=True
    )
    return value


def text(label: str, *, flag: str) -> str:
    """One line typed at the terminal (shown as typed)."""
    _need_terminal(f"the {label.lower()}", flag)
    value: str = typer.prompt(label, err=True)
    return value


def confirm(question: str, *, show: Sequence[str] = (), flag: str = "--yes") -> bool:
    """True once the person says yes; ``Abort`` when they say no.

    ``show`` lines (what would happen) go to stderr before the question.
    """
    _need_terminal("a confirmation", flag)
    for line in show:
        typer.echo(line, err=True)
    return typer.confirm(question, default=False, abort=True, err=True)


def _need_terminal(what: str, flag: str) -> None:
    if not can_ask():
        raise InvalidInput(
            f"cannot ask for {what}: standard input is not a terminal; use {flag}"
        )
