"""One row of ``ssop health``: a check's name, its verdict and the facts behind it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ssop.core.errors import ExitCode


class CheckState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    """One dependency's verdict; ``exit_code`` matters only when it failed."""

    name: str
    state: CheckState
    detail: str
    exit_code: ExitCode = ExitCode.OK
    data: Mapping[str, Any] = field(default_factory=dict)
    """Machine-readable facts behind the detail (JSON output only)."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "state": self.state.value,
            "detail": self.detail,
        }
        if self.data:
            out["data"] = dict(self.data)
        return out
