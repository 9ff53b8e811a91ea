"""The ai report's aggregates: analyses by analyser, risk and time bucket;
what the guard rails and policy made of the recommendations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from ssop.core.models import AnalysisRecord, PolicyDecision, RecommendationRecord
from ssop.core.store.report_scope import Rows, Scope, bucket_of, count_if, plain

MODEL_ANALYZER = "llm"
REJECTED = "rejected"


class AiReportRepo:
    def __init__(self, session: Session) -> None:
        self.s = session

    def analyses(self, scope: Scope, bucket: str) -> Rows:
        """(bucket keys..., analyzer, risk, analyses, confidence sum, disagreements,
        model calls, prompt tokens, completion tokens)."""
        a = AnalysisRecord
        b = bucket_of(col(a.at), bucket)
        asked = (col(a.analyzer) == MODEL_ANALYZER) | col(a.llm_error).is_not(None)
        query = select(
            *b,
            col(a.analyzer),
            col(a.risk),
            func.count(),
            func.coalesce(func.sum(a.confidence), 0.0),
            count_if(col(a.risk_disagreement).is_(True)),
            count_if(asked),
            func.coalesce(func.sum(a.tokens_prompt), 0),
            func.coalesce(func.sum(a.tokens_completion), 0),
        ).where(*scope.where(col(a.at), col(a.server_name)))
        return plain(self.s.execute(query.group_by(*b, a.analyzer, a.risk)))

    def verdicts(self, scope: Scope) -> Rows:
        """(status, reject reason, count) of the recommendations made.

        Only rejected ones have a reason (free text): the others are counted
        from the (status, at) index alone, and only the rejected rows are
        read to group their reasons.
        """
        r = RecommendationRecord
        status, where = col(r.status), scope.where(col(r.at), col(r.server_name))
        others = select(status, func.count()).where(*where, status != REJECTED)
        reasons = select(col(r.reject_reason), func.count()).where(
            *where, status == REJECTED
        )
        rows = [(st, "", c) for st, c in self.s.execute(others.group_by(status))]
        reason = col(r.reject_reason)
        rows += [
            (REJECTED, why, c) for why, c in self.s.execute(reasons.group_by(reason))
        ]
        return sorted(rows, key=lambda row: (str(row[0]), str(row[1])))

    def decisions(self, scope: Scope) -> Rows:
        """(outcome, gate, count) of policy's decisions."""
        d = PolicyDecision
        keys = (col(d.outcome), col(d.gate))
        query = select(*keys, func.count()).where(
            *scope.where(col(d.at), col(d.server_name))
        )
        return plain(self.s.execute(query.group_by(*keys).order_by(*keys)))
