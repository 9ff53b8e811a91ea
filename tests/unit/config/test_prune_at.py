"""retention.prune_at: a local time of day as HH:MM, checked at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.config.loader import load_config
from ssop.core.errors import ConfigError

NO_SYSTEM = Path("/nonexistent/ssop.toml")


def load(tmp_path: Path, text: str) -> str:
    cfg = tmp_path / "ssop.toml"
    cfg.write_text(text)
    environ = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    return load_config(cfg, None, environ, NO_SYSTEM).settings.retention.prune_at


def test_the_default_is_half_past_three(tmp_path: Path) -> None:
    assert load(tmp_path, "") == "03:30"


@pytest.mark.parametrize("at", ["00:00", "04:05", "23:59"])
def test_a_time_of_day_is_kept(tmp_path: Path, at: str) -> None:
    assert load(tmp_path, f'[retention]\nprune_at = "{at}"\n') == at


@pytest.mark.parametrize("at", ["24:00", "3:30", "03:60", "03:30:00", "noon", ""])
def test_anything_else_is_a_config_error_naming_the_key(
    tmp_path: Path, at: str
) -> None:
    with pytest.raises(ConfigError, match=r"retention\.prune_at.*HH:MM"):
        load(tmp_path, f'[retention]\nprune_at = "{at}"\n')
