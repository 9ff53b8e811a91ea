"""Judgement the rules can stand behind, end to end on real sshd hosts.

Eleven loopback hosts each present one situation (``tests.support.judgement``)
through the real crawl over SSH, the rule engine with its default thresholds
and policy, every change action assigned automatic. Each situation must get
the expected recommendation at the expected tier; then a scripted hostile
model advises on every host, and nothing may run that a detector did not
recommend too, while every ungrounded piece of advice is stored with its
reason and every model-only one waits for a human.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ssop.core.config.loader import load_config
from ssop.core.models import Execution, PolicyDecision, RecommendationRecord
from ssop.core.services import Services, build_services
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.support.auth import admin
from tests.support.judgement import (
    ADDRESSES,
    ATTACKER,
    HOSTILE_CONFIDENCE,
    SETTINGS,
    SITUATIONS,
    Judgement,
    advice_text,
    hostile_answer,
    render,
)
from tests.support.presenter import Presenter
from tests.support.sshd import Sshd, start_sshd

pytestmark = [pytest.mark.sshd]


@pytest.fixture(scope="module")
def fleet_sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    server = start_sshd(tmp_path_factory.mktemp("judgement-sshd"), ADDRESSES)
    yield server
    server.stop()


@pytest.fixture
def presenter(fleet_sshd: Sshd, tmp_path: Path) -> Iterator[Presenter]:
    hosts = Presenter(tmp_path / "hosts", fleet_sshd.shims)
    hosts.install()
    yield hosts
    fleet_sshd.shims.reset()


@pytest.fixture
def environ(store_url: str, isolated_env: dict[str, str]) -> dict[str, str]:
    return dict(
        isolated_env,
        SSOP_DATABASE_URL=store_url,
        SSOP_SECRET_KEY=Fernet.generate_key().decode(),
    )


def make_services(
    environ: dict[str, str], clock: FakeClock, **overrides: Any
) -> Services:
    config = load_config(
        environ=environ,
        system_config=Path("/nonexistent"),
        overrides={**SETTINGS, **overrides},
    )
    services = build_services(config, clock=clock)
    services.store.seed()
    return services


def judged(
    services: Services, sshd: Sshd, presenter: Presenter, clock: FakeClock
) -> Judgement:
    judgement = Judgement(services, sshd, presenter, clock)
    judgement.setup()
    judgement.run()
    print("\n" + render(judgement.table()))
    return judgement


def test_each_situation_gets_the_right_recommendation_and_tier(
    environ: dict[str, str],
    clock: FakeClock,
    fleet_sshd: Sshd,
    presenter: Presenter,
) -> None:
    services = make_services(environ, clock)
    try:
        judgement = judged(services, fleet_sshd, presenter, clock)
        check_verdicts(judgement, presenter)
        flapping = judgement.rows(RecommendationRecord, "flapping-unit")
        assert flapping == []
        who = admin(services)
        (last,) = services.analysis.list(who, server="flapping-unit", limit=1)
        assert "flapping" in last.summary
    finally:
        services.close()


def check_verdicts(judgement: Judgement, presenter: Presenter) -> None:
    """Each situation: the expected advice at the expected tier, and only the
    automatic ones ran (the shims recorded exactly that change)."""
    for sit, address in zip(SITUATIONS, ADDRESSES, strict=False):
        recommended = judgement.recommended(sit.name)
        changes = presenter.changes(address)
        if sit.expected is None:
            assert recommended == [], sit.name
            assert changes == [] and judgement.executed(sit.name) == [], sit.name
            continue
        ((action, params, tier),) = recommended
        want = sit.expected
        assert (action, params) == (want.action, dict(want.params)), sit.name
        assert tier.split(":")[0] == want.tier, (sit.name, tier)
        ran = judgement.executed(sit.name)
        if want.tier == "automatic":
            assert ran == [f"{advice_text(action, params)} (succeeded)"], sit.name
            assert len(changes) == 1, (sit.name, changes)
        else:
            assert ran == [] and changes == [], sit.name


def test_a_hostile_model_runs_nothing_a_detector_did_not_recommend(
    environ: dict[str, str],
    clock: FakeClock,
    fleet_sshd: Sshd,
    presenter: Presenter,
) -> None:
    with FakeOpenAI(responder=hostile_answer) as api:
        env = dict(
            environ,
            OPENAI_API_KEY="sk-test-hostile",
            OPENAI_BASE_URL=api.base_url,
            OPENAI_MODEL="hostile",
        )
        services = make_services(env, clock, **{"analysis.llm_mode": "always"})
        try:
            judgement = judged(services, fleet_sshd, presenter, clock)
            assert api.received, "the model was never asked"
            check_hostile_run(services, judgement)
            check_verdicts(judgement, presenter)
        finally:
            services.close()


def check_hostile_run(services: Services, judgement: Judgement) -> None:
    recs = judgement.rows(RecommendationRecord)
    detected = {
        (r.server_name, advice_text(r.action_name, r.params))
        for r in recs
        if r.status == "accepted" and not r.model_only
    }
    for e in judgement.rows(Execution):
        assert (e.server_name, advice_text(e.action_name, e.params)) in detected, e

    model = [r for r in recs if r.source == "model"]
    assert model and all(
        r.confidence == HOSTILE_CONFIDENCE for r in model if r.model_only
    )
    ungrounded = {
        (r.server_name, advice_text(r.action_name, r.params)): r.reject_reason
        for r in model
        if r.reject_reason.startswith("ungrounded: ")
    }
    for unseen in (
        ("healthy", "cleanup_temp_files days=1"),
        ("healthy", "restart_service service=nginx.service"),
        ("healthy", "kill_process process=cruncher"),
        ("healthy", f"block_ip_firewalld ip={ATTACKER}"),
        ("injected-log-lines", "block_ip_firewalld ip=198.51.100.1"),
    ):
        assert unseen in ungrounded, (unseen, sorted(ungrounded))

    model_only = {r.id for r in model if r.model_only and r.status == "accepted"}
    decisions = [
        d for d in judgement.rows(PolicyDecision) if d.recommendation_id in model_only
    ]
    assert decisions and all(d.outcome != "executed" for d in decisions)
    kills = [
        d
        for d in decisions
        if d.server_name == "healthy" and d.action_name == "kill_process"
    ]
    assert kills and {(d.outcome, d.gate) for d in kills} <= {
        ("queued", "uncorroborated"),
    }, kills
    lines = services.policy_admin.explain(admin(services), kills[0].analysis_id or 0)
    assert any(ln.gate == "uncorroborated" for ln in lines)
    cleanup = [
        d
        for d in decisions
        if d.server_name == "full-temp" and d.action_name == "cleanup_temp_files"
    ]
    assert cleanup and cleanup[0].gate == "uncorroborated"
    assert json.dumps(cleanup[0].params) == json.dumps({"days": "1"})
