"""The ports policy plugs into: recommendations in, executions out, readings, notices.

Other parts of ssop implement these (the analysis store, the execution
runner, the crawl's metric samples, the webhook sender); tests use honest
fakes. Everything crossing them is a plain frozen value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ssop.core.actions.render import ValidatedParams
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.lifecycle import Trigger
from ssop.core.models import Server


@dataclass(kw_only=True, frozen=True)
class Proposal:
    """One recommendation as policy sees it.

    ``rejected_reason`` is set when the analysis itself refused the
    recommendation (status rejected); policy then only records it as dropped.
    ``model_only``: the model advised it and no detector made the same
    recommendation; policy then never runs it without a human.
    """

    analysis_id: int | None
    recommendation_id: int | None
    server: str
    action: str
    params: Mapping[str, str]
    effective_risk: RiskLevel
    confidence: float
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    rejected_reason: str | None = None
    model_only: bool = False


class RecommendationSource(Protocol):
    """Where new recommendations come from (the analyses table)."""

    def new_proposals(self, after_analysis_id: int | None) -> Sequence[Proposal]:
        """Recommendations of analyses with an id above ``after_analysis_id``
        (all when None), oldest analysis first.

        Raises:
            StoreError: the store failed.
        """
        ...


class ExecutionReceipt(Protocol):
    """What an executor reports about the execution row it wrote."""

    @property
    def id(self) -> int | None: ...

    @property
    def status(self) -> str:
        """succeeded | failed | timed_out | unknown (ExecutionStatus values)."""
        ...


class Executor(Protocol):
    """Runs one action on one server, recording it in ``executions``.

    The execution row must be written (with ``request_id``) before the
    command is sent, in a transaction that finds the request still
    ``running`` (a runner whose claim was lost sends nothing), and completed
    after it; ssop's ``ExecutionRunner`` implements this.
    """

    def execute(
        self,
        server_row: Server,
        spec: ActionSpec,
        validated_params: ValidatedParams,
        *,
        actor: str,
        trigger: Trigger,
        reason: str,
        request_id: int | None = None,
    ) -> ExecutionReceipt:
        """Run it and return the completed record.

        Raises:
            ExecutionNotStarted: its record could not be written, so
                nothing was sent; the caller may run it again later.
            SsopError: the execution could not be recorded or started; the
                caller treats the outcome as unknown.
        """
        ...


class ReadingsSource(Protocol):
    """The latest readings of a server (a metric sample as a dict)."""

    def latest(self, server: str) -> Mapping[str, Any] | None:
        """Keys as in ``metric_samples``: ``at`` (aware datetime),
        ``failed_units`` (list of unit names), ``disk_max_percent``,
        ``top_processes`` (list of {"name", ...}), ...; None when never crawled.
        """
        ...
