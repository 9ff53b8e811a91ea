"""The analysis port: what an analyser sees, what it answers, and its Protocol.

Every analyser (the rule engine, the model) reads one ``AnalysisContext``
and returns one ``AnalysisResult`` whose recommendations are *proposals*:
nothing an analyser says is trusted until ``guard.review`` has checked it
against the server's allow-list, the parameter types and what was observed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.readings import AuthFailures
from ssop.core.actions.spec import ActionSpec, RiskLevel


@dataclass(frozen=True)
class Disk:
    mount: str
    percent: float


@dataclass(frozen=True)
class Proc:
    pid: int
    name: str
    cpu_percent: float | None
    rss_kb: int


@dataclass(frozen=True)
class Sample:
    """One stored reading of one server (a ``metric_samples`` row as a value)."""

    id: int | None
    at: datetime
    cpu_percent: float | None = None
    memory_percent: float | None = None
    swap_percent: float | None = None
    load1: float | None = None
    load5: float | None = None
    cpu_count: int | None = None
    disks: tuple[Disk, ...] = ()
    failed_units: tuple[str, ...] = ()
    processes: tuple[Proc, ...] = ()
    # failed SSH logins since the previous reading; None: not read
    auth_failures: tuple[AuthFailures, ...] | None = None

    @property
    def memory_available(self) -> float | None:
        """Available memory, % of the total (what MemAvailable says)."""
        return None if self.memory_percent is None else 100.0 - self.memory_percent

    def failed_logins(self, address: str) -> int:
        return sum(f.count for f in self.auth_failures or () if f.address == address)


@dataclass(frozen=True)
class CrawlFailure:
    at: datetime
    cause: str
    message: str = ""


@dataclass(frozen=True)
class ExecutionBrief:
    """An execution in short form: never its output."""

    at: datetime
    action: str
    params: Mapping[str, str]
    status: str
    exit_code: int | None = None


@dataclass(frozen=True)
class AnalysisBrief:
    at: datetime
    analyzer: str
    risk: str
    summary: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllowedAction:
    """An action assigned to the server, as the analysers may recommend it."""

    spec: ActionSpec
    automatic: bool = False


@dataclass(frozen=True)
class Finding:
    """Something the rule engine saw that held long enough to matter.

    ``subject`` names what it is about (a mount, a unit, a process, an
    address) and is host-derived text. ``held`` of ``of`` readings showed
    it. ``remedy_risk`` is the risk of acting on the subject when that is
    higher than the finding's own (killing the largest process under memory
    pressure, blocking an address: high, so a human decides).
    """

    kind: str
    subject: str
    risk: RiskLevel
    message: str
    _: KW_ONLY
    held: int = 0
    of: int = 0
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remedy_risk: RiskLevel | None = None

    @property
    def confidence(self) -> float:
        """How much of the window backs it: its own, whatever else was said."""
        return round(self.held / self.of, 2) if self.of else 1.0


@dataclass(frozen=True)
class AnalyserProposal:
    """One recommendation as an analyser made it: not yet validated."""

    action: str
    params: Mapping[str, object]
    reason: str
    _: KW_ONLY
    priority: int = 1
    server: str | None = None  # the server the analyser named, if it named one
    risk: RiskLevel | None = None  # the analyser's own view
    evidence: Mapping[str, Any] = field(default_factory=dict)
    confidence: float | None = None  # the source's own: a finding's, or the model's


@dataclass(frozen=True)
class AnalysisContext:
    """Everything one analysis of one server may look at, read in one go."""

    server: str
    now: datetime
    samples: tuple[Sample, ...] = ()  # oldest first
    failures: tuple[CrawlFailure, ...] = ()  # oldest first
    executions: tuple[ExecutionBrief, ...] = ()  # oldest first
    analyses: tuple[AnalysisBrief, ...] = ()  # oldest first
    allowed: Mapping[str, AllowedAction] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()  # the rule engine's, for the model
    # what this server's guard rails protect (own addresses, protected names)
    guards: GuardConfig = field(default_factory=GuardConfig)

    @property
    def latest(self) -> Sample | None:
        return self.samples[-1] if self.samples else None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True)
class AnalysisResult:
    """What one analyser concluded; recommendations still to be reviewed."""

    analyzer: str  # "rules" or "llm"
    summary: str
    reasoning: str
    risk: RiskLevel
    confidence: float
    proposals: tuple[AnalyserProposal, ...] = ()
    findings: tuple[Finding, ...] = ()
    model: str | None = None
    prompt: str | None = None  # as sent, redacted
    prompt_hash: str | None = None
    usage: Usage = field(default_factory=Usage)

    @property
    def worth_a_look(self) -> bool:
        return bool(self.findings)


class RejectCode(StrEnum):
    """Why the guard rails rejected a proposal, to count by (the reason is text)."""

    WRONG_SERVER = "wrong_server"
    NOT_ASSIGNED = "not_assigned"
    BAD_PARAMS = "bad_params"
    FLAPPING = "flapping"
    UNGROUNDED = "ungrounded"
    REPEATED = "repeated"


@dataclass(frozen=True)
class Recommendation:
    """A proposal after review: accepted with validated parameters, or rejected."""

    source: str  # "rules" | "model"
    action: str
    params: Mapping[str, object]
    reason: str
    priority: int
    effective_risk: RiskLevel
    intrinsic_risk: RiskLevel | None = None
    rule_risk: RiskLevel | None = None
    model_risk: RiskLevel | None = None
    accepted: bool = True
    reject_reason: str = ""
    reject_code: RejectCode | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    confidence: float | None = None
    # the model's, and no detector made the same action with the same parameters
    model_only: bool = False

    @property
    def status(self) -> str:
        return "accepted" if self.accepted else "rejected"


class Analyser(Protocol):
    """Turns one server's context into a result.

    Raises:
        AnalysisError: (a subclass naming the failure kind) when no valid
            result could be produced; the caller falls back to the rules.
    """

    name: str

    def analyse(self, context: AnalysisContext) -> AnalysisResult: ...
