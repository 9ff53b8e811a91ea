"""``ssop analyze`` and ``ssop analysis list/show`` in-process, on the test store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from ssop.core.config.loader import load_config
from ssop.core.models import AnalysisRecord
from ssop.core.services import Services, build_services
from tests.cli.conftest import Cli, error_line
from tests.fakes.openai_server import FakeOpenAI, Reply, fake_openai
from tests.support.analysis import add_server, reading, store_readings

ACTIONS = ("cleanup_temp_files", "cleanup_log_files", "restart_service")


@pytest.fixture
def store(admin_cli: Cli) -> Iterator[Services]:
    """Direct access to the CLI's store, to set up servers and readings."""
    config = load_config(environ=admin_cli.env, system_config=Path("/nonexistent"))
    services = build_services(config)
    yield services
    services.close()


def analyses(store: Services) -> list[AnalysisRecord]:
    with store.sessions() as s:
        return list(s.exec(select(AnalysisRecord)))


def test_full_disk_recommends_the_cleanup_and_healthy_host_nothing(
    admin_cli: Cli, store: Services
) -> None:
    add_server(store, "web1", ACTIONS)
    add_server(store, "web2", ACTIONS)
    store_readings(store, "web1", [reading(disk=97)] * 5)
    store_readings(store, "web2", [reading()] * 5)
    result = admin_cli("analyze", "web1", "web2")
    assert result.exit_code == 0, result.stderr
    web1, web2 = result.stdout.split("web2: ")
    assert "web1: risk medium, rules" in web1
    assert "[accepted] cleanup_temp_files days=7 (risk medium, rules #" in web1
    assert "no recommendation" in web2
    assert "model not asked: no model configured" in web2
    assert sorted(a.server_name for a in analyses(store)) == ["web1", "web2"]


def test_dry_run_prints_json_and_stores_nothing(
    admin_cli: Cli, store: Services
) -> None:
    add_server(store, "web1", ACTIONS)
    store_readings(store, "web1", [reading(failed=("nginx.service",))] * 5)
    result = admin_cli("analyze", "web1", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (data,) = json.loads(result.stdout)
    assert data["id"] is None
    assert [(r["action"], r["params"]) for r in data["recommendations"]] == [
        ("restart_service", {"service": "nginx.service"})
    ]
    assert analyses(store) == []


def test_list_and_show(admin_cli: Cli, store: Services) -> None:
    add_server(store, "web1", ACTIONS)
    add_server(store, "db1", ACTIONS)
    store_readings(store, "web1", [reading(disk=97)] * 5)
    assert admin_cli("analyze").exit_code == 0
    listed = admin_cli("analysis", "list", "--risk", "medium", "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["server"], row["risk"], row["accepted"]) == ("web1", "medium", 2)
    shown = admin_cli("analysis", "show", str(row["id"]), "--prompt")
    assert shown.exit_code == 0, shown.stderr
    assert "reasoning:\ndisk / at 97%" in shown.stdout
    assert "(none: no model was asked)" in shown.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("analyze", "nope"), 3, "no server named 'nope'"),
        (("analyze", "--force-llm"), 2, "--force-llm: no model is configured"),
        (("analysis", "show", "424242"), 3, "no analysis #424242"),
        (("analysis", "list", "--risk", "bad"), 2, "unknown risk 'bad'"),
    ],
)
def test_refusals_exit_with_one_error_line(
    admin_cli: Cli, store: Services, args: tuple[str, ...], code: int, message: str
) -> None:
    add_server(store, "web1")
    result = admin_cli(*args)
    assert result.exit_code == code
    assert message in error_line(result)
    assert analyses(store) == []


def test_not_logged_in_is_refused(cli: Cli) -> None:
    assert cli("init", APP_INIT_SECRET="Init-Secret-1").exit_code == 0
    result = cli("analyze")
    assert result.exit_code == 4
    assert "not logged in" in error_line(result)


@pytest.fixture
def api() -> Iterator[FakeOpenAI]:
    yield from fake_openai()


def test_with_a_model_the_answer_and_its_prompt_are_shown_without_the_key(
    admin_cli: Cli, store: Services, api: FakeOpenAI
) -> None:
    add_server(store, "web1", ACTIONS)
    store_readings(store, "web1", [reading(failed=("nginx.service",))] * 5)
    answer = {
        "summary": "nginx has failed",
        "reasoning": "seen failed in five readings",
        "risk_level": "high",
        "confidence": 0.7,
        "recommendations": [],
    }
    api.script(Reply.advice(answer))
    key = "sk-cli-test-abcdefghijklmnop"
    env = {"OPENAI_API_KEY": key, "OPENAI_BASE_URL": api.base_url}
    result = admin_cli("analyze", "web1", **env)
    assert result.exit_code == 0, result.stderr
    # the model's higher risk is shown beside the one code computed
    assert "risk medium (model said high), llm:gpt-4o-mini" in result.stdout
    assert "tokens: 100 prompt, 20 completion" in result.stdout
    (record,) = analyses(store)
    shown = admin_cli("analysis", "show", str(record.id), "--prompt")
    assert "<<<HOST DATA " in shown.stdout and key not in shown.stdout
    assert "[accepted] restart_service service=nginx.service" in shown.stdout
