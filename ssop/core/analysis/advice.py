"""The model's answer: a strict schema, and parsing its text into proposals.

Unknown fields anywhere reject the whole answer, as do wrong types, values
out of range and text past the caps. The one leniency: a single Markdown
code fence around the JSON is removed, because small models add one even
when asked for a JSON schema; anything else around the object is refused.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ssop.core.actions.spec import RiskLevel
from ssop.core.analysis.base import AnalyserProposal
from ssop.core.errors import ModelInvalidAnswer

SCHEMA_NAME = "ssop_analysis"
MAX_RECOMMENDATIONS = 10
_FENCE = re.compile(r"\A\s*```(?:json)?[ \t]*\n(.*)\n[ \t]*```\s*\Z", re.S)

_UNPORTABLE = frozenset({"maxLength", "minLength"})

Risk = Literal["low", "medium", "high"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamItem(_Strict):
    name: str = Field(max_length=32)
    value: str = Field(max_length=512)


class AdviceItem(_Strict):
    action: str = Field(max_length=64)
    server: str = Field(max_length=255)
    params: list[ParamItem] = Field(max_length=10)
    reason: str = Field(max_length=2000)
    priority: int = Field(ge=1, le=9)
    risk_level: Risk

    @field_validator("params")
    @classmethod
    def _unique_names(cls, params: list[ParamItem]) -> list[ParamItem]:
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError("a parameter is given twice")
        return params


class ModelAdvice(_Strict):
    summary: str = Field(max_length=2000)
    reasoning: str = Field(max_length=8000)
    risk_level: Risk
    confidence: float = Field(ge=0.0, le=1.0)
    recommendations: list[AdviceItem] = Field(max_length=MAX_RECOMMENDATIONS)

    def proposals(self) -> tuple[AnalyserProposal, ...]:
        return tuple(
            AnalyserProposal(
                action=item.action,
                params={p.name: p.value for p in item.params},
                reason=item.reason,
                priority=item.priority,
                server=item.server,
                risk=RiskLevel(item.risk_level),
                confidence=self.confidence,
            )
            for item in self.recommendations
        )


def response_format() -> dict[str, Any]:
    """The OpenAI ``json_schema`` response format for ``ModelAdvice``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "schema": _portable(ModelAdvice.model_json_schema()),
            "strict": True,
        },
    }


def _portable(node: Any) -> Any:
    """The schema without string-length keywords, which strict mode refuses;
    pydantic still enforces the lengths on the answer."""
    if isinstance(node, dict):
        return {k: _portable(v) for k, v in node.items() if k not in _UNPORTABLE}
    if isinstance(node, list):
        return [_portable(v) for v in node]
    return node


def unfence(text: str) -> str:
    match = _FENCE.match(text)
    return match.group(1) if match else text


def parse_advice(content: str | None) -> ModelAdvice:
    """Validate the model's message text.

    Raises:
        ModelInvalidAnswer: empty, not JSON, or not exactly the schema.
    """
    if not content or not content.strip():
        raise ModelInvalidAnswer("model answer is empty")
    try:
        data = json.loads(unfence(content))
    except json.JSONDecodeError as e:
        raise ModelInvalidAnswer(f"model answer is not JSON ({e.msg})") from e
    try:
        return ModelAdvice.model_validate(data, strict=True)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ModelInvalidAnswer(
            f"model answer fails the schema: {where}: {first['msg']}"
            + (f" (+{e.error_count() - 1} more)" if e.error_count() > 1 else "")
        ) from e
