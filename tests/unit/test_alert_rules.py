"""The example alerting rules: valid for promtool where it is installed, and
always, by parsing, about the gauges the daemon serves with the issue's delays."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

RULES = Path(__file__).parents[2] / "configs" / "prometheus" / "ssop-alerts.yml"
EXPECTED = {
    "SsopHostDown": ("ssop_server_up", "== 0", "5m"),
    "SsopApprovalsWaiting": ("ssop_approvals_pending", "> 0", "30m"),
    "SsopAutomationPaused": ("ssop_automation_paused", "== 1", "1h"),
}


def rules() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(RULES.read_text())
    (group,) = data["groups"]
    return {r["alert"]: r for r in group["rules"]}


def test_each_alert_reads_its_gauge_with_the_right_delay() -> None:
    found = rules()
    assert set(found) == set(EXPECTED)
    for name, (metric, comparison, delay) in EXPECTED.items():
        rule = found[name]
        assert metric in rule["expr"] and rule["expr"].endswith(comparison), rule
        assert rule["for"] == delay
        assert rule["labels"]["severity"] in {"critical", "warning"}
        assert rule["annotations"]["summary"]


def test_promtool_accepts_the_rules_where_it_is_installed() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:  # the parse above stands in (a fresh CI machine)
        return
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 3 rules found" in done.stdout
