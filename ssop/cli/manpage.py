"""The man page, written from the CLI's own commands, options and help texts,
so it says what ``--help`` says (a test compares the two)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ssop.core.errors import ExitCode

ClickCommand = (
    Any  # typer's vendored click ClickCommand/Group: not part of its typed API
)
ClickContext = Any


def man_page(root: ClickCommand, version: str) -> str:
    ctx = root.make_context("ssop", [], resilient_parsing=True)
    out = [
        f'.TH SSOP 1 "" "ssop {version}" "User Commands"',
        ".SH NAME",
        f"ssop \\- {_roff(_first_line(root.help))}",
        ".SH SYNOPSIS",
        f".B ssop\n{_roff(' '.join(root.collect_usage_pieces(ctx)))}",
        ".SH DESCRIPTION",
        _roff(root.help or ""),
        ".SH OPTIONS",
        *_options(root, ctx),
        ".SH COMMANDS",
    ]
    for path, command, sub in _walk(root, ctx, ()):
        out += section(path, command, sub)
    out += [".SH EXIT STATUS", *_exit_codes()]
    return "\n".join(out) + "\n"


def section(
    path: tuple[str, ...], command: ClickCommand, ctx: ClickContext
) -> list[str]:
    usage = " ".join(command.collect_usage_pieces(ctx))
    return [
        f'.SS "ssop {" ".join(path)}"',
        f".B ssop {_roff(' '.join(path))}\n{_roff(usage)}",
        ".PP",
        _roff(command.help or command.short_help or ""),
        *_options(command, ctx),
    ]


def _walk(
    group: ClickCommand, ctx: ClickContext, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], ClickCommand, ClickContext]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        sub = command.make_context(name, [], parent=ctx, resilient_parsing=True)
        if hasattr(command, "list_commands"):
            yield from _walk(command, sub, (*path, name))
        else:
            yield (*path, name), command, sub


def _options(command: ClickCommand, ctx: ClickContext) -> list[str]:
    out = []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            out += [".TP", f".B {_roff(record[0])}", _roff(record[1] or "")]
    return out


def _exit_codes() -> list[str]:
    out = []
    for code in ExitCode:
        meaning = code.name.lower().replace("_", " ")
        out += [".TP", f".B {int(code)}", meaning]
    return out


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text else ""


def _roff(text: str) -> str:
    """Text as roff: backslashes and hyphens escaped, no line read as a request."""
    escaped = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [ln.strip() for ln in escaped.strip().splitlines()]
    return "\n".join(
        "\\&" + ln if ln.startswith((".", "'")) else ln for ln in lines if ln
    )
