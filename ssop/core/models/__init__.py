"""SQLModel tables, one module per aggregate.

Importing this package registers every table on ``SQLModel.metadata``,
which the migrations compare against.
"""

from ssop.core.models.action import Action, ServerAction
from ssop.core.models.analysis import AnalysisRecord, ErrorEvent, RecommendationRecord
from ssop.core.models.audit import AuditEvent
from ssop.core.models.daemon import DaemonRecord
from ssop.core.models.execution import Execution
from ssop.core.models.metrics import ActionOutput, CrawlError, MetricSample
from ssop.core.models.policy import (
    ApprovalRequest,
    AutoDemotion,
    AutomationState,
    MaintenanceWindow,
    PolicyDecision,
    Verification,
)
from ssop.core.models.server import Server, ServerTag
from ssop.core.models.user import ApiToken, LoginSession, RoleCapability, User

__all__ = [
    "Action",
    "ActionOutput",
    "AnalysisRecord",
    "CrawlError",
    "DaemonRecord",
    "ErrorEvent",
    "MetricSample",
    "ApiToken",
    "ApprovalRequest",
    "AutoDemotion",
    "AutomationState",
    "MaintenanceWindow",
    "PolicyDecision",
    "Verification",
    "AuditEvent",
    "DaemonRecord",
    "Execution",
    "LoginSession",
    "RecommendationRecord",
    "RoleCapability",
    "Server",
    "ServerAction",
    "ServerTag",
    "User",
]
