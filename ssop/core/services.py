"""The composition root: builds every service from one LoadedConfig.

The CLI, the daemon and the TUI all call ``build_services``; tests call it
with fakes (a clock, a transport factory). Services are created lazily so a
command only pays for what it uses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from ssop.core.clock import Clock, SystemClock
from ssop.core.config.loader import LoadedConfig
from ssop.core.store.db import SessionFactory, create_engine_for, session_factory

if TYPE_CHECKING:
    from ssop.core.accounts.audit_log import AuditLogService
    from ssop.core.accounts.auth import AuthService
    from ssop.core.accounts.passwords import PasswordHasher
    from ssop.core.accounts.roles import RoleService
    from ssop.core.accounts.tokens import TokenService
    from ssop.core.accounts.users import UserService
    from ssop.core.actions.catalog import ActionService
    from ssop.core.actions.guards.rails import GuardRails
    from ssop.core.analysis.service import AnalysisService
    from ssop.core.audit import AuditService
    from ssop.core.crawl.service import CrawlService
    from ssop.core.crawl.shared import SharedCrawl
    from ssop.core.execution.executor import ExecutionRunner, ExecutionService
    from ssop.core.execution.manual_runs import RunService
    from ssop.core.fleet.readings_history import ReadingsHistoryService
    from ssop.core.fleet.server_keys import HostKeyScanner
    from ssop.core.fleet.servers import ServerService
    from ssop.core.notify.events import Notifier
    from ssop.core.ops.daemon_registry import DaemonRegistry
    from ssop.core.ops.health import HealthService
    from ssop.core.ops.init import InitService
    from ssop.core.ops.membership import Membership
    from ssop.core.ops.quickstart import QuickstartService
    from ssop.core.ops.settings_admin import SettingsAdminService
    from ssop.core.ops.store_admin import StoreService
    from ssop.core.policy.admin import PolicyAdminService
    from ssop.core.policy.approvals import ApprovalService
    from ssop.core.policy.ports import Executor, ReadingsSource, RecommendationSource
    from ssop.core.policy.reconcile import ReconcileService
    from ssop.core.policy.runner import RequestRunner
    from ssop.core.policy.service import RemediationService
    from ssop.core.policy.verify import VerificationService
    from ssop.core.queue.base import QueueBackend
    from ssop.core.queue.redis_claims import RedisClaims
    from ssop.core.reports.service import ReportService
    from ssop.core.reports.status import StatusService
    from ssop.core.secrets.recovery import SealedSecretsService
    from ssop.core.secrets.rotation import SecretsService
    from ssop.core.secrets.secretbox import SecretBox
    from ssop.core.transport.base import HostKey, Transport
    from ssop.core.transport.connection_spec import ConnectionSpec
    from ssop.core.transport.pool import TransportPool

# Builds the transport for a stored server; tests inject fakes here.
TransportFactory = Callable[["ConnectionSpec"], "Transport"]


@dataclass
class Services:
    """Typed container of everything a shell needs."""

    config: LoadedConfig
    engine: Engine
    sessions: SessionFactory
    clock: Clock
    transport_factory: TransportFactory | None = None
    host_key_scanner: HostKeyScanner | None = None

    @cached_property
    def store(self) -> StoreService:
        from ssop.core.ops.store_admin import StoreService

        return StoreService(self.engine, self.sessions, self.clock)

    @cached_property
    def passwords(self) -> PasswordHasher:
        from ssop.core.accounts.passwords import PasswordHasher

        return PasswordHasher(self.config.settings.auth.bcrypt_rounds)

    @cached_property
    def audit(self) -> AuditService:
        from ssop.core.audit import AuditService

        return AuditService(self.sessions, self.clock)

    @cached_property
    def audit_log(self) -> AuditLogService:
        from ssop.core.accounts.audit_log import AuditLogService

        return AuditLogService(self.sessions, self.clock)

    @cached_property
    def auth(self) -> AuthService:
        from ssop.core.accounts.auth import AuthService

        return AuthService(
            self.sessions, self.clock, self.config.settings.auth, self.passwords
        )

    @cached_property
    def users(self) -> UserService:
        from ssop.core.accounts.users import UserService

        return UserService(
            self.sessions, self.clock, self.passwords, self.config.settings.auth
        )

    @cached_property
    def roles(self) -> RoleService:
        from ssop.core.accounts.roles import RoleService

        return RoleService(self.sessions, self.clock)

    @cached_property
    def tokens(self) -> TokenService:
        from ssop.core.accounts.tokens import TokenService

        return TokenService(self.sessions, self.clock)

    @cached_property
    def init(self) -> InitService:
        from ssop.core.ops.init import InitService

        return InitService(
            self.config, self.store, self.sessions, self.clock, self.passwords
        )

    @cached_property
    def settings_admin(self) -> SettingsAdminService:
        from ssop.core.ops.settings_admin import SettingsAdminService

        return SettingsAdminService(self.config, self.store, self.sessions, self.clock)

    @cached_property
    def queue(self) -> QueueBackend:
        from ssop.core.queue.factory import build_queue_backend

        return build_queue_backend(self.config.settings, self.clock)

    def secret_box(self) -> SecretBox:
        """Built per use, so a rotated key file is picked up without a restart."""
        from ssop.core.secrets.master_key import load_master_keys
        from ssop.core.secrets.secretbox import SecretBox

        return SecretBox(load_master_keys(self.config))

    @cached_property
    def pool(self) -> TransportPool:
        from ssop.core.transport.factory import transport_builder
        from ssop.core.transport.pool import TransportPool

        build = self.transport_factory or transport_builder(
            self.secret_box, self.config.settings.ssh
        )
        return TransportPool(build)

    @cached_property
    def servers(self) -> ServerService:
        from ssop.core.fleet.servers import ServerService
        from ssop.core.transport.factory import scan_through

        return ServerService(
            sessions=self.sessions,
            clock=self.clock,
            auth=self.auth,
            audit=self.audit,
            secrets=self.secret_box,
            pool=self.pool,
            scan=self.host_key_scanner or _scan_host_key,
            connect_timeout=self.config.settings.ssh.connect_timeout,
            command_timeout=self.config.settings.ssh.command_timeout,
            scan_through=scan_through(self.secret_box, self.config.settings.ssh),
        )

    @cached_property
    def daemons(self) -> DaemonRegistry:
        from ssop.core.ops.daemon_registry import DaemonRegistry

        return DaemonRegistry(self.engine, self.sessions, self.clock)

    @cached_property
    def health(self) -> HealthService:
        from ssop.core.ops.health import HealthService

        return HealthService(
            self.config.settings,
            self.store,
            self.daemons,
            self.clock,
            key_check=self.sealed_secrets.check,
        )

    @cached_property
    def secrets_admin(self) -> SecretsService:
        from ssop.core.secrets.rotation import SecretsService

        return SecretsService(self.config, self.sessions, self.clock)

    @cached_property
    def sealed_secrets(self) -> SealedSecretsService:
        from ssop.core.secrets.recovery import SealedSecretsService

        return SealedSecretsService(
            self.engine, self.sessions, self.clock, self.secret_box
        )

    @cached_property
    def actions(self) -> ActionService:
        from ssop.core.actions.catalog import ActionService

        return ActionService(self.engine, self.sessions, self.clock)

    @cached_property
    def executions(self) -> ExecutionService:
        from ssop.core.execution.executor import ExecutionService

        return ExecutionService(self.engine, self.sessions, self.clock)

    @cached_property
    def runner(self) -> ExecutionRunner:
        """Runs one action with its record; policy and approvals call this too."""
        from ssop.core.execution.executor import ExecutionRunner
        from ssop.core.execution.http_runner import HttpRunner

        ssh = self.config.settings.ssh
        return ExecutionRunner(
            engine=self.engine,
            sessions=self.sessions,
            clock=self.clock,
            transports=self.pool.get,
            http=HttpRunner(ssh.output_cap),
            ssh=ssh,
        )

    @cached_property
    def runs(self) -> RunService:
        from ssop.core.execution.manual_runs import RunService

        settings = self.config.settings
        return RunService(
            engine=self.engine,
            sessions=self.sessions,
            clock=self.clock,
            audit=self.audit,
            runner=self.runner,
            rails=self.guard_rails,
            max_parallel=settings.daemon.concurrency,
        )

    @cached_property
    def guard_rails(self) -> GuardRails:
        from ssop.core.actions.guards.rails import GuardRails

        return GuardRails(self.config.settings.guards)

    @cached_property
    def policy_executor(self) -> Executor:
        """Runs one action and records it (tests may assign their own)."""
        return self.runner

    @cached_property
    def recommendation_source(self) -> RecommendationSource | None:
        """New recommendations for policy: those the analyses stored."""
        from ssop.core.policy.recommendations import StoredRecommendations

        return StoredRecommendations(self.sessions, self.clock)

    @cached_property
    def latest_readings(self) -> ReadingsSource:
        from ssop.core.policy.readings import SampleReadings

        return SampleReadings(self.sessions)

    @cached_property
    def notifier(self) -> Notifier:
        from ssop.core.notify.events import NullNotifier

        notify = self.config.settings.notify
        if not notify.webhooks:
            return NullNotifier()  # and the HTTP client stays unimported
        from ssop.core.notify.webhook import DeliveryFailure, WebhookNotifier

        def record(f: DeliveryFailure) -> None:
            detail = f"{f.event}: {f.error} after {f.attempts} attempt(s)"
            self.audit.record(
                "system:notify", "notify.failed", f.target, detail, ok=False
            )

        webhooks = WebhookNotifier(notify, on_failure=record)
        if self.claims is None:
            return webhooks
        from ssop.core.notify.dedup import DedupNotifier

        return DedupNotifier(webhooks, self.claims, f"pid:{os.getpid()}")

    @cached_property
    def request_runner(self) -> RequestRunner:
        from ssop.core.policy.runner import RequestRunner, new_runner_id

        return RequestRunner(
            sessions=self.sessions,
            clock=self.clock,
            settings=self.config.settings,
            executor=lambda: self.policy_executor,
            readings=self.latest_readings,
            notifier=self.notifier,
            guards=self.guard_rails.for_server,
            runner_id=new_runner_id(),
        )

    @cached_property
    def remediation(self) -> RemediationService:
        from ssop.core.policy.service import RemediationService

        return RemediationService(
            sessions=self.sessions,
            clock=self.clock,
            settings=self.config.settings,
            runner=self.request_runner,
            readings=self.latest_readings,
            notifier=self.notifier,
            guards=self.guard_rails.for_server,
            source=lambda: self.recommendation_source,
        )

    @cached_property
    def approvals(self) -> ApprovalService:
        from ssop.core.policy.approvals import ApprovalService

        return ApprovalService(
            sessions=self.sessions,
            clock=self.clock,
            settings=self.config.settings,
            runner=self.request_runner,
            readings=self.latest_readings,
            notifier=self.notifier,
            guards=self.guard_rails.for_server,
        )

    @cached_property
    def policy_admin(self) -> PolicyAdminService:
        from ssop.core.policy.admin import PolicyAdminService

        return PolicyAdminService(
            self.sessions, self.clock, self.config.settings.policy
        )

    @cached_property
    def reconciler(self) -> ReconcileService:
        from ssop.core.policy.reconcile import ReconcileService

        return ReconcileService(self.sessions, self.clock, self.config.settings.policy)

    @cached_property
    def verifier(self) -> VerificationService:
        from ssop.core.policy.verify import VerificationService

        return VerificationService(
            self.sessions,
            self.clock,
            self.config.settings.policy,
            self.latest_readings,
            self.notifier,
        )

    @cached_property
    def analysis(self) -> AnalysisService:
        from ssop.core.analysis.service import AnalysisService

        return AnalysisService(
            sessions=self.sessions,
            clock=self.clock,
            auth=self.auth,
            audit=self.audit,
            settings=self.config.settings,
            queue=lambda: self.queue,
            guards_for=self.guard_rails.for_server,
            once_per_interval=self._analysis_gate(),
        )

    def _analysis_gate(self) -> Callable[[str], bool] | None:
        if self.claims is None:
            return None
        from ssop.core.queue.claims import interval_gate

        every = float(self.config.settings.app.model_delay)
        token = f"pid:{os.getpid()}"
        return interval_gate(self.claims, "analyse", self.clock.now, every, token)

    @cached_property
    def crawler(self) -> CrawlService:
        from ssop.core.crawl.service import CrawlService

        return CrawlService(
            engine=self.engine,
            sessions=self.sessions,
            clock=self.clock,
            auth=self.auth,
            pool=self.pool,
            queue=self.queue,
            settings=self.config.settings,
        )

    @cached_property
    def status(self) -> StatusService:
        """The fleet at a glance from stored readings (``ssop status``, the TUI)."""
        from ssop.core.reports.status import StatusService

        return StatusService(self.sessions, self.clock, self.config.settings)

    @cached_property
    def readings_history(self) -> ReadingsHistoryService:
        """One server's readings over a window (the dashboard's charts)."""
        from ssop.core.fleet.readings_history import ReadingsHistoryService

        return ReadingsHistoryService(self.sessions, self.clock)

    @cached_property
    def reports(self) -> ReportService:
        from ssop.core.reports.service import ReportService

        return ReportService(self.sessions, self.clock, self.config.settings)

    @cached_property
    def membership(self) -> Membership:
        from ssop.core.ops.membership import Membership

        return Membership(
            self.daemons, lambda: self.queue.heartbeats, self.clock, auth=self.auth
        )

    @cached_property
    def claims(self) -> RedisClaims | None:
        url = self.config.settings.redis_url()
        if url is None:
            return None
        from ssop.core.queue.redis_claims import redis_claims

        return redis_claims(url, self.config.settings.redis.timeout, self.clock)

    def shared_crawl(self, daemon_id: str) -> SharedCrawl | None:
        """The crawl this daemon shares with others through Redis (None without)."""
        if self.claims is None:
            return None
        from ssop.core.crawl.shared import SharedCrawl, visits_in_store

        return SharedCrawl(
            crawler=self.crawler,
            claims=self.claims,
            members=self.membership.live,
            visited_since=visits_in_store(self.engine, self.sessions),
            clock=self.clock,
            every_s=float(self.config.settings.app.crawler_delay),
            me=daemon_id,
        )

    @cached_property
    def quickstart(self) -> QuickstartService:
        from ssop.core.ops.quickstart import QuickstartService

        return QuickstartService(
            app=self.config.settings.app,
            sessions=self.sessions,
            clock=self.clock,
            init=self.init,
            auth=self.auth,
            servers=self.servers,
            crawler=self.crawler,
            analysis=self.analysis,
        )

    def close(self) -> None:
        close_notifier = getattr(self.__dict__.get("notifier"), "close", None)
        if close_notifier is not None:
            close_notifier()
        if "pool" in self.__dict__:
            self.pool.close_all()
        if "queue" in self.__dict__:
            self.queue.close()
        claims = self.__dict__.get("claims")
        if claims is not None:
            claims.close()
        self.engine.dispose()


def build_services(
    config: LoadedConfig,
    *,
    clock: Clock | None = None,
    transport_factory: TransportFactory | None = None,
    host_key_scanner: HostKeyScanner | None = None,
) -> Services:
    engine = create_engine_for(config.database_url())
    return Services(
        config=config,
        engine=engine,
        sessions=session_factory(engine),
        clock=clock or SystemClock(),
        transport_factory=transport_factory,
        host_key_scanner=host_key_scanner,
    )


def _scan_host_key(host: str, port: int, timeout: float) -> HostKey:
    from ssop.core.transport.ssh import scan_host_key

    return scan_host_key(host, port, timeout)
