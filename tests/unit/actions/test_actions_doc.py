"""docs/actions.md stays true: every example file goes through the real
``--file`` parser, and the types, guards and error lines it lists exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ssop.core.actions.catalog import spec_from_file
from ssop.core.actions.guards.checks import GUARDS
from ssop.core.actions.params import PARAM_TYPES
from ssop.core.errors import InvalidInput

DOC = Path(__file__).parents[3] / "docs" / "actions.md"


def toml_examples() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)


def first_column(heading: str) -> set[str]:
    """The backticked first cells of the table whose header starts ``heading``."""
    table = DOC.read_text().split(f"| {heading} |", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", table, re.M))


@pytest.mark.parametrize("example", toml_examples())
def test_every_example_is_a_valid_action_file(example: str) -> None:
    spec = spec_from_file(example, "docs/actions.md")
    assert not spec.builtin and spec.description


def test_the_examples_cover_each_action_type_with_distinct_names() -> None:
    specs = [spec_from_file(e, "docs/actions.md") for e in toml_examples()]
    assert {s.type.value for s in specs} == {"command_get", "command_execute", "http"}
    assert len({s.name for s in specs}) == len(specs)


def test_the_parameter_types_and_guards_are_the_real_ones() -> None:
    assert first_column("type") == set(PARAM_TYPES)
    assert first_column("guard") == set(GUARDS)


def test_the_refusals_shown_are_the_real_messages() -> None:
    base = toml_examples()[0]
    broken = [
        base.replace('type = "port"\n', ""),
        base.replace("[params.port]", '[params.host]\ntype = "word"\n\n[params.port]'),
        base.replace("'sport = :{port}'", "| grep {port}"),
    ]
    shown = DOC.read_text().split("## When a file is refused", 1)[1]
    for text in broken:
        with pytest.raises(InvalidInput) as refused:
            spec_from_file(text, "docs/actions.md")
        assert f"ssop: error: {refused.value.message}\n" in shown
