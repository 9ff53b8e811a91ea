"""``ssop action create --file`` takes every example of docs/actions.md, and
its help names that file."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Cli
from tests.unit.actions.test_actions_doc import toml_examples


def test_the_help_names_the_format_document(isolated_env: dict[str, str]) -> None:
    result = Cli(isolated_env)("action", "create", "--help", COLUMNS="200")
    assert result.exit_code == 0
    assert "docs/actions.md" in result.stdout


def test_every_documented_example_can_be_created(
    admin_cli: Cli, tmp_path: Path
) -> None:
    for number, example in enumerate(toml_examples()):
        path = tmp_path / f"example{number}.toml"
        path.write_text(example)
        result = admin_cli("action", "create", "--file", str(path))
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("created action ")
