"""Reading passwords: hidden prompts for people, one line of stdin for scripts."""

from __future__ import annotations

import getpass
import os
import sys
import warnings

import typer

from ssop.core.errors import InvalidInput


def password(
    from_stdin: bool,
    label: str = "Password",
    confirm: bool = True,
    *,
    stdin_option: str = "--password-stdin",
) -> str:
    """One password; with ``from_stdin``, the next line of standard input.

    Raises:
        InvalidInput: there is no terminal to ask on; the hint names
            ``stdin_option``.
    """
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    refusal = InvalidInput(
        f"cannot ask for the {label[:1].lower()}{label[1:]} without a terminal",
        hint=f"give it on standard input: {stdin_option}",
    )
    # sys.stdin is another object under a test runner, which answers prompts
    if sys.stdin is sys.__stdin__ and not _has_terminal():
        raise refusal
    with warnings.catch_warnings():
        # getpass without a terminal warns, then reads with echo on
        warnings.simplefilter("error", getpass.GetPassWarning)
        try:
            value: str = typer.prompt(
                label, hide_input=True, confirmation_prompt=confirm
            )
        except getpass.GetPassWarning as e:
            raise refusal from e
    return value


def _has_terminal() -> bool:
    """What getpass reads from: the controlling terminal, else a terminal stdin."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return sys.stdin.isatty()
    os.close(fd)
    return True
