"""The strict answer schema: what a model may say, and everything it may not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ssop.core.analysis.advice import parse_advice, response_format
from ssop.core.errors import ModelInvalidAnswer


def good(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "summary": "nginx is down",
        "reasoning": "failed in 3 readings",
        "risk_level": "medium",
        "confidence": 0.8,
        "recommendations": [
            {
                "action": "restart_service",
                "server": "web1",
                "params": [{"name": "service", "value": "nginx"}],
                "reason": "it failed",
                "priority": 1,
                "risk_level": "low",
            }
        ],
    }
    data.update(over)
    return data


def test_a_good_answer_becomes_proposals() -> None:
    advice = parse_advice(json.dumps(good()))
    (proposal,) = advice.proposals()
    assert proposal.action == "restart_service"
    assert dict(proposal.params) == {"service": "nginx"}
    assert proposal.server == "web1"


def test_one_code_fence_around_the_json_is_tolerated() -> None:
    text = "```json\n" + json.dumps(good()) + "\n```"
    assert parse_advice(text).summary == "nginx is down"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("Sure! Here is my analysis.", "not JSON"),
        (json.dumps(good())[:-20], "not JSON"),
        ("Here:\n```json\n" + json.dumps(good()) + "\n```", "not JSON"),
        (json.dumps(good(extra="x")), "extra"),
        (json.dumps(good(confidence=1.5)), "confidence"),
        (json.dumps(good(confidence="0.5")), "confidence"),
        (json.dumps(good(risk_level="none")), "risk_level"),
        (json.dumps(good(recommendations=[{"action": "x"}])), "recommendations"),
        (json.dumps(good(summary="x" * 2001)), "summary"),
        (json.dumps([good()]), "top level"),
    ],
)
def test_anything_else_is_an_invalid_answer(text: str, why: str) -> None:
    with pytest.raises(ModelInvalidAnswer) as e:
        parse_advice(text)
    assert why in e.value.message


def test_extra_fields_inside_a_recommendation_are_refused_too() -> None:
    data = good()
    data["recommendations"][0]["command"] = "rm -rf /"
    with pytest.raises(ModelInvalidAnswer, match="command"):
        parse_advice(json.dumps(data))


def test_the_schema_sent_is_strict_and_portable() -> None:
    fmt = response_format()
    schema = fmt["json_schema"]["schema"]
    assert fmt["json_schema"]["strict"] is True
    assert schema["additionalProperties"] is False
    assert "maxLength" not in json.dumps(schema)
    assert set(schema["required"]) == set(schema["properties"])
