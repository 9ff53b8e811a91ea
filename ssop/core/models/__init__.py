"""SQLModel tables, one module per aggregate.

A table is imported when first asked for (``from ssop.core.models import
Server`` loads ``models/server.py`` alone), so a command pays only for the
tables it uses. ``load_all()`` registers every table on ``SQLModel.metadata``,
for what needs the whole schema: the migrations, and tests that empty it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ssop.core.models.action import Action, ServerAction
    from ssop.core.models.analysis import (
        AnalysisRecord,
        ErrorEvent,
        RecommendationRecord,
    )
    from ssop.core.models.audit import AuditEvent
    from ssop.core.models.counters import PrunedCount
    from ssop.core.models.daemon import DaemonRecord
    from ssop.core.models.day_counts import AnalysisDay, ExecutionDay, VerdictDay
    from ssop.core.models.execution import Execution
    from ssop.core.models.metrics import (
        ActionOutput,
        CrawlError,
        MetricDay,
        MetricHour,
        MetricSample,
    )
    from ssop.core.models.policy import (
        ApprovalRequest,
        AutoDemotion,
        AutomationState,
        MaintenanceWindow,
        PolicyDecision,
        Verification,
    )
    from ssop.core.models.server import Server, ServerTag
    from ssop.core.models.token import ApiToken
    from ssop.core.models.user import LoginSession, RoleCapability, User

# each name above, and the module under ssop.core.models that defines it
HOMES = {
    "Action": "action",
    "ServerAction": "action",
    "AnalysisDay": "day_counts",
    "AnalysisRecord": "analysis",
    "ErrorEvent": "analysis",
    "RecommendationRecord": "analysis",
    "AuditEvent": "audit",
    "PrunedCount": "counters",
    "DaemonRecord": "daemon",
    "Execution": "execution",
    "ExecutionDay": "day_counts",
    "ActionOutput": "metrics",
    "CrawlError": "metrics",
    "MetricDay": "metrics",
    "MetricHour": "metrics",
    "MetricSample": "metrics",
    "ApprovalRequest": "policy",
    "AutoDemotion": "policy",
    "AutomationState": "policy",
    "MaintenanceWindow": "policy",
    "PolicyDecision": "policy",
    "Verification": "policy",
    "Server": "server",
    "ServerTag": "server",
    "ApiToken": "token",
    "LoginSession": "user",
    "RoleCapability": "user",
    "User": "user",
    "VerdictDay": "day_counts",
}

__all__ = [
    "Action",
    "ActionOutput",
    "AnalysisDay",
    "AnalysisRecord",
    "ApiToken",
    "ApprovalRequest",
    "AuditEvent",
    "AutoDemotion",
    "AutomationState",
    "CrawlError",
    "DaemonRecord",
    "ErrorEvent",
    "Execution",
    "ExecutionDay",
    "LoginSession",
    "MaintenanceWindow",
    "MetricDay",
    "MetricHour",
    "MetricSample",
    "PolicyDecision",
    "PrunedCount",
    "RecommendationRecord",
    "RoleCapability",
    "Server",
    "ServerAction",
    "ServerTag",
    "User",
    "Verification",
    "VerdictDay",
    "load_all",
]


def __getattr__(name: str) -> object:
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def load_all() -> None:
    """Import every model module, registering all tables on ``SQLModel.metadata``."""
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
