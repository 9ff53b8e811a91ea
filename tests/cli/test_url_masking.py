"""A URL's password never reaches the screen: config show and set, health,
and any error line."""

from __future__ import annotations

import json
import socket

import pytest

from ssop.cli.main import funnel
from ssop.core.errors import ConfigError, StoreError
from tests.cli.conftest import Cli

REDIS = "redis://:sekrit@127.0.0.1:{port}/0"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_config_show_masks_a_redis_password(cli: Cli) -> None:
    url = REDIS.format(port=6379)
    table = cli("config", "show", SSOP_REDIS_URL=url)
    assert table.exit_code == 0, table.stderr
    assert "sekrit" not in table.output
    result = cli("config", "show", "--format", "json", SSOP_REDIS_URL=url)
    assert "sekrit" not in result.output
    shown = {row["key"]: row["value"] for row in json.loads(result.stdout)}
    assert shown["redis.url"] == "redis://:***@127.0.0.1:6379/0"


def test_config_set_shows_a_url_masked(admin_cli: Cli) -> None:
    url = REDIS.format(port=6379)
    result = admin_cli("config", "set", "redis.url", url)
    assert result.exit_code == 0, result.stderr
    assert "sekrit" not in result.output
    assert "redis.url = redis://:***@127.0.0.1:6379/0" in result.stdout


def test_health_masks_the_llm_endpoints_password(cli: Cli) -> None:
    url = f"http://ops:sekrit@127.0.0.1:{closed_port()}/v1"
    result = cli("health", "--format", "json", OPENAI_BASE_URL=url)
    assert result.exit_code == 5
    assert "sekrit" not in result.output
    details = {c["name"]: c["detail"] for c in json.loads(result.stdout)["checks"]}
    assert "http://ops:***@127.0.0.1:" in details["llm"]


def test_an_error_line_never_shows_a_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def fail() -> None:
        raise StoreError(
            "cannot reach redis://:sekrit@h:1/0", hint="try http://u:sekrit@h/ instead"
        )

    assert funnel(fail, debug=False) == 1
    err = capsys.readouterr().err
    assert "sekrit" not in err
    assert "ssop: error: cannot reach redis://:***@h:1/0" in err
    assert "ssop: hint: try http://u:***@h/ instead" in err


def test_an_error_naming_a_secret_setting_is_not_mangled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    message = "env OPENAI_API_KEY: key openai.api_key: Input should be a string"

    def fail() -> None:
        raise ConfigError(message)

    assert funnel(fail, debug=False) == 2
    assert capsys.readouterr().err == f"ssop: error: {message}\n"
