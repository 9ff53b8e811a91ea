"""Placeholders: find ``{name}`` fields in template text and fill them.

A template is parsed once, when an action is defined; filling only ever
concatenates literal text and already-validated values, so a value can
never change the structure around it (an argv token, a URL part, a JSON
string). ``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Callable, Iterable, Mapping

from ssop.core.actions.params import PARAM_NAME_RE
from ssop.core.errors import InvalidInput

Pieces = tuple[tuple[str, str | None], ...]
_FORMATTER = string.Formatter()
# A shell anywhere in the argv (``timeout 5 sh -c ...``) would re-read a
# validated value as code; the wrappers are refused as the program because
# they run their arguments as another command. This is a speed bump for
# honest mistakes: the guarantee is that values are single, validated tokens.
SHELLS = frozenset(
    {
        "sh",
        "bash",
        "dash",
        "ash",
        "zsh",
        "ksh",
        "mksh",
        "fish",
        "csh",
        "tcsh",
        "busybox",
    }
)
WRAPPERS = frozenset(
    {
        "env",
        "eval",
        "exec",
        "sudo",
        "su",
        "doas",
        "xargs",
        "nohup",
        "setsid",
        "timeout",
        "nice",
        "ionice",
        "stdbuf",
        "chroot",
        "runuser",
        "ssh",
    }
)
_SHELL_ONLY = ("$", "`")
_OPERATOR_CHARS = frozenset("();<>|&")


def literal(text: str) -> str:
    """Escape braces so ``text`` is used verbatim as a template."""
    return text.replace("{", "{{").replace("}", "}}")


def parse(text: str, where: str) -> Pieces:
    """Split ``text`` into (literal, field-or-None) pieces.

    Raises:
        InvalidInput: unbalanced braces, or a field that is not a plain name.
    """
    try:
        raw = list(_FORMATTER.parse(text))
    except ValueError as e:
        raise InvalidInput(f"{where}: {e} (write {{{{ and }}}} for braces)") from e
    pieces: list[tuple[str, str | None]] = []
    for lit, field, spec, conv in raw:
        if field is not None and (spec or conv or not PARAM_NAME_RE.fullmatch(field)):
            shown = (
                "{"
                + field
                + ("!" + conv if conv else "")
                + (":" + spec if spec else "")
                + "}"
            )
            raise InvalidInput(f"{where}: placeholder {shown} is not a plain {{name}}")
        pieces.append((lit, field))
    return tuple(pieces)


def fields(text: str, where: str) -> set[str]:
    """The parameter names a template text refers to."""
    return {f for _, f in parse(text, where) if f is not None}


def fill(text: str, values: Mapping[str, str], where: str) -> str:
    """Substitute ``values`` into ``text``; every field must have a value."""
    return "".join(
        lit + (values[f] if f is not None else "") for lit, f in parse(text, where)
    )


def fill_with(text: str, encode: Callable[[str], str], where: str) -> str:
    """Substitute each field by ``encode(field_name)``."""
    return "".join(
        lit + (encode(f) if f is not None else "") for lit, f in parse(text, where)
    )


def split_command(template: str) -> tuple[str, ...]:
    """Split a custom command template into argv tokens, once.

    Raises:
        InvalidInput: the template needs a shell (operators, ``$``, backticks),
            starts with an interpreter, or does not split.
    """
    try:
        tokens = tuple(shlex.split(template))
    except ValueError as e:
        raise InvalidInput(f"command template: {e}") from e
    _refuse_operators(template)
    check_custom_argv(tokens)
    return tokens


def _refuse_operators(template: str) -> None:
    lexer = shlex.shlex(template, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    for token in lexer:
        if token and set(token) <= _OPERATOR_CHARS:
            raise InvalidInput(
                f"command template: shell operator {token!r} needs a shell, "
                "and templates run without one",
                hint="put pipelines in a script on the server and call the script",
            )


def check_custom_argv(tokens: Iterable[str]) -> None:
    """Refuse argv templates that only make sense inside a shell."""
    argv = tuple(tokens)
    if not argv:
        raise InvalidInput("command template: is empty")
    program = _basename(argv[0])
    if program in SHELLS | WRAPPERS:
        raise InvalidInput(
            f"command template: must not start with {program!r}",
            hint="templates run without a shell; use needs_root instead of sudo",
        )
    shells = [t for t in argv[1:] if _basename(t) in SHELLS]
    if shells:
        raise InvalidInput(f"command template: must not run a shell ({shells[0]!r})")
    for token in argv:
        if token and set(token) <= _OPERATOR_CHARS:
            raise InvalidInput(f"command template: {token!r} is a shell operator")
        if any(c in token for c in _SHELL_ONLY):
            raise InvalidInput(
                f"command template: {token!r} uses $ or ` which only a shell expands"
            )


def _basename(token: str) -> str:
    return token.rsplit("/", 1)[-1]
