"""The policy and notify sections: defaults, refusals, and secret webhook URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssop.core.config.loader import effective_items, load_config
from ssop.core.errors import ConfigError


def config_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "ssop.toml"
    path.write_text(text)
    return load_config(cli_path=path, environ={"HOME": str(tmp_path)})


def test_defaults_follow_the_issue(tmp_path: Path) -> None:
    policy = config_from(tmp_path, "").settings.policy
    assert (policy.auto_max_risk, policy.min_confidence, policy.cooldown_s) == (
        "medium",
        0.7,
        900,
    )
    assert (policy.max_auto_per_hour, policy.mode, policy.four_eyes) == (
        3,
        "live",
        True,
    )
    assert (policy.four_eyes_min_risk, policy.approval_ttl_hours) == ("high", 24.0)


def test_high_risk_can_never_be_made_automatic(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policy.auto_max_risk"):
        config_from(tmp_path, '[policy]\nauto_max_risk = "high"\n')


def test_webhook_urls_are_masked_in_config_show(tmp_path: Path) -> None:
    loaded = config_from(
        tmp_path,
        '[[notify.webhooks]]\nurl = "https://hooks.example/T0K3N"\nformat = "slack"\n'
        'events = ["approval_requested"]\n',
    )
    (hook,) = loaded.settings.notify.webhooks
    shown = dict((k, v) for k, v, _, _ in effective_items(loaded))

    assert hook.url.get_secret_value() == "https://hooks.example/T0K3N"
    assert "T0K3N" not in shown["notify.webhooks"]
    assert '"format": "slack"' in shown["notify.webhooks"]


def test_an_unknown_webhook_format_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="notify.webhooks.0.format"):
        config_from(
            tmp_path, '[[notify.webhooks]]\nurl = "http://x"\nformat = "teams"\n'
        )
