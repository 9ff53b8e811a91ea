"""A filter line of ``field:value`` terms and free words.

``server:web1 status:failed nginx`` asks the store for web1's failed runs
and keeps, of those, the rows that mention ``nginx``. Quotes keep spaces in
a value (``actor:"jo smith"``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from ssop.core.errors import InvalidInput


@dataclass(frozen=True)
class Terms:
    fields: dict[str, str] = field(default_factory=dict)
    words: str = ""

    def __str__(self) -> str:
        given = [f"{k}:{shlex.quote(v)}" for k, v in self.fields.items()]
        return " ".join([*given, *([self.words] if self.words else [])])


def parse_terms(line: str, known: tuple[str, ...]) -> Terms:
    """Split ``line`` into field terms (names in ``known``) and free words.

    Raises:
        InvalidInput: an unknown field, a field given twice, an empty value,
            or an unbalanced quote.
    """
    try:
        tokens = shlex.split(line)
    except ValueError as e:
        raise InvalidInput(f"filter: {e}") from None
    fields: dict[str, str] = {}
    words: list[str] = []
    for token in tokens:
        name, sep, value = token.partition(":")
        if not sep:
            words.append(token)
            continue
        fields[_field(name.lower(), value, fields, known)] = value
    return Terms(fields, " ".join(words))


def _field(name: str, value: str, seen: dict[str, str], known: tuple[str, ...]) -> str:
    if name not in known:
        raise InvalidInput(f"filter: no field {name!r} (fields: {', '.join(known)})")
    if name in seen:
        raise InvalidInput(f"filter: {name} is given twice")
    if not value:
        raise InvalidInput(f"filter: {name}: needs a value")
    return name
