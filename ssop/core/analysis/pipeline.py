"""One server's analysis, start to finish: rules, maybe the model, review, store.

The rule engine always runs. The model is asked only when it is
configured, the mode wants it (``auto``: the rules saw something worth a
look; ``always``; or ``--force-llm``) and the circuit breaker is closed. A
model failure is recorded in ``error_events`` and the rules' result stands
in. An analysis of unchanged readings within the reuse window is not redone.

Confidence belongs to its source: a detector's proposal keeps its finding's,
the model's confidence applies to the model's own advice only. Advice of
the model that no detector made (same action, same parameters) is marked
model-only, which policy never runs without a human.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.guards.rails import GuardRails, GuardsFor
from ssop.core.analysis.base import (
    Analyser,
    AnalysisContext,
    AnalysisResult,
    Recommendation,
)
from ssop.core.analysis.breaker import CircuitBreaker
from ssop.core.analysis.history import load_context
from ssop.core.analysis.prompt import readings_digest
from ssop.core.analysis.review import Reviewer
from ssop.core.analysis.rules import RuleEngine
from ssop.core.analysis.views import (
    AnalysisOutcome,
    AnalysisView,
    FinalRisk,
    analysis_view,
    records_of,
)
from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import AnalysisError, ConfigError
from ssop.core.logsetup import redact
from ssop.core.models import ErrorEvent
from ssop.core.store.analysis_repo import AnalysisRepo, ErrorEventRepo
from ssop.core.store.db import SessionFactory
from ssop.core.store.server_repo import ServerRepo

log = logging.getLogger(__name__)

SOURCE = "analysis"
CIRCUIT_OPEN = "llm_circuit_open"
MESSAGE_CAP = 2000


@dataclass(frozen=True)
class Asked:
    """What came of asking the model (or of deciding not to)."""

    result: AnalysisResult | None = None
    error: AnalysisError | None = None
    skipped: str | None = None
    called: bool = False


class Pipeline:
    def __init__(
        self,
        sessions: SessionFactory,
        clock: Clock,
        settings: Settings,
        make_llm: Callable[[], Analyser],
        guards_for: GuardsFor | None = None,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.cfg = settings.analysis
        self.has_key = bool(
            settings.openai.api_key and settings.openai.api_key.get_secret_value()
        )
        self.rules = RuleEngine(self.cfg)
        # the same rails manual runs and policy use, ssop's own addresses included
        self.guards_for = guards_for or GuardRails(settings.guards).for_server
        self.breaker = CircuitBreaker(
            clock, self.cfg.breaker_failures, self.cfg.breaker_cooldown_s
        )
        self._make_llm = make_llm
        self._llm: Analyser | None = None

    def run(
        self, server: str, actor: str, *, dry_run: bool, force_llm: bool
    ) -> AnalysisOutcome:
        """Analyse ``server`` now; store the result unless ``dry_run``.

        Raises:
            NotFound: no such server.
            ConfigError: ``force_llm`` without a configured model.
            StoreError: the database failed.
        """
        now = self.clock.now()
        with self.sessions() as s:
            row = ServerRepo(s).get(server)
            guards = self.guards_for(row)
            ctx = replace(load_context(s, row, now, self.cfg), guards=guards)
        rules = self.rules.analyse(ctx)
        ctx = replace(ctx, findings=rules.findings)
        digest = readings_digest(ctx, self.cfg)
        reused = None if force_llm else self._reusable(server, digest, now)
        if reused is not None:
            return AnalysisOutcome(server, reused, stored=False, reused=True)
        asked = self._ask(ctx, rules, force_llm)
        if asked.error is not None and not dry_run:
            self._record_error(server, now, asked.error)
        result, recs = self._review(ctx, guards, rules, asked.result)
        record, rows = records_of(
            server, now, actor, digest, result, self._final(rules, asked, recs), recs
        )
        if not dry_run:
            with self.sessions() as s, s.begin():
                AnalysisRepo(s).add(record, rows)
        error = f"{asked.error.kind}: {asked.error.message}" if asked.error else None
        return AnalysisOutcome(
            server,
            analysis_view(record, rows, with_prompt=True),
            stored=not dry_run,
            model_called=asked.called,
            model_skipped=asked.skipped,
            model_error=error,
        )

    def llm(self) -> Analyser:
        if self._llm is None:
            self._llm = self._make_llm()
        return self._llm

    def _why_not(self, rules: AnalysisResult, force_llm: bool) -> str | None:
        if force_llm:
            if not self.has_key:
                raise ConfigError(
                    "--force-llm: no model is configured",
                    hint="set openai.api_key (and openai.base_url for a local server)",
                )
            return None
        if not self.has_key:
            return "no model configured"
        if self.cfg.llm_mode == "never":
            return "analysis.llm_mode is never"
        if self.cfg.llm_mode == "auto" and not rules.worth_a_look:
            return "nothing worth a look"
        if not self.breaker.allow():
            return f"circuit open for {self.breaker.remaining_s():.0f}s more"
        return None

    def _ask(
        self, ctx: AnalysisContext, rules: AnalysisResult, force_llm: bool
    ) -> Asked:
        skipped = self._why_not(rules, force_llm)
        if skipped is not None:
            return Asked(skipped=skipped)
        try:
            result = self.llm().analyse(ctx)
        except AnalysisError as e:
            log.warning(
                "server %s: model failed (%s), rules stand in", ctx.server, e.kind
            )
            self.breaker.failed(getattr(e, "retry_after", None))
            return Asked(error=e, called=True)
        self.breaker.succeeded()
        return Asked(result=result, called=True)

    def _review(
        self,
        ctx: AnalysisContext,
        guards: GuardConfig,
        rules: AnalysisResult,
        model: AnalysisResult | None,
    ) -> tuple[AnalysisResult, list[Recommendation]]:
        """The model's advice reviewed, then the rules' proposals it did not
        already make (the model cannot silence a rule); or the rules' alone."""
        reviewer = Reviewer.of(ctx, guards, rules.findings, self.cfg)
        from_rules = reviewer.review(rules.proposals, "rules")
        if model is None:
            return rules, from_rules
        detected = {reviewer.key(r): r for r in from_rules if r.accepted}
        from_model = [
            corroborated(r, detected.get(reviewer.key(r)))
            for r in reviewer.review(model.proposals, "model")
        ]
        taken = {reviewer.key(r) for r in from_model if r.accepted}
        extra = [r for r in from_rules if not (r.accepted and reviewer.key(r) in taken)]
        return model, from_model + extra

    def _final(
        self, rules: AnalysisResult, asked: Asked, recs: list[Recommendation]
    ) -> FinalRisk:
        risk = max([rules.risk, *(r.effective_risk for r in recs if r.accepted)])
        model_risk = asked.result.risk if asked.result else None
        llm_error = asked.error.kind if asked.error else None
        if asked.skipped and asked.skipped.startswith("circuit open"):
            llm_error = CIRCUIT_OPEN
        return FinalRisk(
            risk=risk.value,
            model_risk=model_risk.value if model_risk else None,
            disagreement=model_risk is not None and model_risk != risk,
            llm_error=llm_error,
        )

    def _reusable(self, server: str, digest: str, now: datetime) -> AnalysisView | None:
        """The last analysis, if it recently saw the same readings and none failed."""
        window = timedelta(seconds=self.cfg.reuse_window_s)
        with self.sessions() as s:
            repo = AnalysisRepo(s)
            last = repo.latest(server)
            if (
                last is None
                or last.digest != digest
                or last.llm_error is not None
                or now - last.at > window
            ):
                return None
            return analysis_view(last, repo.recommendations([last.id or 0]))

    def _record_error(self, server: str, now: datetime, error: AnalysisError) -> None:
        with self.sessions() as s, s.begin():
            ErrorEventRepo(s).add(
                ErrorEvent(
                    at=now,
                    source=SOURCE,
                    server_name=server,
                    kind=error.kind,
                    message=redact(error.message)[:MESSAGE_CAP],
                )
            )


def corroborated(
    rec: Recommendation, detector: Recommendation | None
) -> Recommendation:
    """The model's ``rec``, model-only unless a detector made the same one; then
    it carries the detector's confidence, which the model's never raises."""
    if detector is None or not rec.accepted:
        return replace(rec, model_only=True)
    return replace(rec, model_only=False, confidence=detector.confidence)
