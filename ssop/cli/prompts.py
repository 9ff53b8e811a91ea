"""Reading passwords: hidden prompts for people, one line of stdin for scripts."""

from __future__ import annotations

import sys

import typer


def password(from_stdin: bool, label: str = "Password", confirm: bool = True) -> str:
    """One password; with ``from_stdin``, the next line of standard input."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt(label, hide_input=True, confirmation_prompt=confirm)
    return value
