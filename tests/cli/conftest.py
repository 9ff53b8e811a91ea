"""Run ``ssop`` in-process against the test store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ssop.cli.main import app


@dataclass
class Cli:
    env: dict[str, str]

    def __call__(self, *args: str, input: str | None = None, **env: str) -> Result:
        runner = CliRunner()
        return runner.invoke(app, list(args), input=input, env={**self.env, **env})


@pytest.fixture
def cli(store_url: str, isolated_env: dict[str, str], tmp_path: Path) -> Cli:
    env = dict(
        isolated_env,
        SSOP_DATABASE_URL=store_url,
        SSOP_CONFIG=str(tmp_path / "ssop.toml"),
    )
    return Cli(env)
