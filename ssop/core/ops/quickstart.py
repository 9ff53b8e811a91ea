"""``ssop quickstart``: the whole loop on this machine in one command.

Initialise the store if needed, log the first admin in, add this machine
as ``localhost`` (local transport, built-in get actions assigned), crawl it
once, analyse it, and say what to run next. Every
step checks what already exists first, so running it again is harmless and
says what it found.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import record_in
from ssop.core.crawl.report import CrawlReport
from ssop.core.errors import PermissionDenied, SsopError
from ssop.core.fleet.server_input import HostKeyDecision, ServerCreate
from ssop.core.ops.init import FIRST_ADMIN
from ssop.core.store.action_repo import AssignmentRepo
from ssop.core.store.fleet_repo import FleetRepo
from ssop.core.store.server_repo import ServerRepo

if TYPE_CHECKING:
    from ssop.core.accounts.auth import AuthService
    from ssop.core.analysis.service import AnalysisService
    from ssop.core.analysis.views import AnalysisOutcome
    from ssop.core.clock import Clock
    from ssop.core.config.schema import AppSection
    from ssop.core.crawl.service import CrawlService
    from ssop.core.fleet.servers import ServerService
    from ssop.core.ops.init import InitService
    from ssop.core.store.db import SessionFactory

log = logging.getLogger(__name__)

LOCALHOST = "localhost"


@dataclass(kw_only=True, frozen=True)
class QuickstartReport:
    """What quickstart did or found, in order, and what comes next.

    ``password`` is set only when quickstart generated the first admin's
    password (show it once); ``token`` only when it opened a login session
    (the shell keeps it like ``ssop login`` does).
    """

    lines: tuple[str, ...]
    crawl: CrawlReport
    next_steps: tuple[str, ...]
    admin: str | None = None
    analysis: tuple[AnalysisOutcome, ...] = ()
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass
class _Progress:
    lines: list[str] = field(default_factory=list)
    password: str | None = None
    token: str | None = None
    admin: str | None = None


class QuickstartService:
    def __init__(
        self,
        *,
        app: AppSection,
        sessions: SessionFactory,
        clock: Clock,
        init: InitService,
        auth: AuthService,
        servers: ServerService,
        crawler: CrawlService,
        analysis: AnalysisService,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.clock = clock
        self.init = init
        self.auth = auth
        self.servers = servers
        self.crawler = crawler
        self.analysis = analysis

    def run(self, credential: str | None) -> QuickstartReport:
        """Do every missing step; ``credential`` is the caller's current login.

        Raises:
            PermissionDenied: ssop was set up before, nobody is logged in and
                APP_INIT_SECRET is not set (nothing else was changed).
            StoreUnreachable, StoreError, ConfigError: from initialising.
        """
        done = _Progress()
        self._initialise(done)
        who = self._principal(done, credential)
        self._add_localhost(done, who)
        crawl = self.crawler.crawl(who, [LOCALHOST])
        done.lines.append(f"crawled {LOCALHOST}: {crawl.summary()}")
        analysis = self._analyse(done, who)
        self._audit(who, done.lines)
        return QuickstartReport(
            lines=tuple(done.lines),
            crawl=crawl,
            next_steps=self._next_steps(),
            admin=done.admin,
            analysis=analysis,
            password=done.password,
            token=done.token,
        )

    def _initialise(self, done: _Progress) -> None:
        init = self.init
        if not init.plan().anything:
            done.lines.append("ssop is already initialised")
            return

        def generate() -> str:
            done.password = secrets.token_urlsafe(18)
            return done.password

        report = init.run(generate)
        done.lines.extend(report.done)
        done.admin = report.admin
        if report.admin is None:
            done.password = None  # another init created the admin meanwhile

    def _principal(self, done: _Progress, credential: str | None) -> Principal:
        secret = self.app.init_secret
        password = done.password or (secret.get_secret_value() if secret else None)
        if credential and not done.admin:
            try:
                who = self.auth.authenticate(credential)
            except PermissionDenied:
                if password is None:
                    raise
            else:
                done.lines.append(f"already logged in as {who.name}")
                return who
        if password is None:
            raise PermissionDenied(
                "ssop was set up before and you are not logged in",
                hint="run: ssop login, then ssop quickstart again",
            )
        result = self.auth.login(FIRST_ADMIN, password)
        done.token = result.token
        done.lines.append(f"logged in as {FIRST_ADMIN}")
        return result.principal

    def _add_localhost(self, done: _Progress, who: Principal) -> None:
        self.auth.require(who, Capability.SERVERS_WRITE)
        with self.sessions() as s:
            exists = ServerRepo(s).find(LOCALHOST) is not None
        if exists:
            done.lines.append(f"server {LOCALHOST} already exists")
        else:
            self.servers.add(who, _this_machine(), HostKeyDecision())
            done.lines.append(
                f"added server {LOCALHOST} (this machine, no SSH) "
                "with the built-in get actions"
            )
        added = self._assign_builtin_gets()
        if added:
            done.lines.append(
                f"assigned built-in get actions to {LOCALHOST}: {', '.join(added)}"
            )

    def _assign_builtin_gets(self) -> list[str]:
        with self.sessions() as s, s.begin():
            server = ServerRepo(s).get(LOCALHOST)
            links = AssignmentRepo(s)
            have = {a.name for a, _ in links.assigned(server.id or 0)}
            added = [
                a for a in FleetRepo(s).builtin_get_actions() if a.name not in have
            ]
            for action in added:
                links.assign(server, action, automatic=False)
            return [a.name for a in added]

    def _analyse(self, done: _Progress, who: Principal) -> tuple[AnalysisOutcome, ...]:
        try:
            outcomes = self.analysis.analyse(who, [LOCALHOST])
        except SsopError as e:
            done.lines.append(f"analysis of {LOCALHOST} failed: {e.message}")
            return ()
        done.lines.append(f"analysed {LOCALHOST}")
        return tuple(outcomes)

    def _next_steps(self) -> tuple[str, ...]:
        delay = self.app.crawler_delay
        return (
            f"ssop daemon        # crawl and analyse every {delay}s, in the foreground",
            "ssop tui           # the live dashboard: fleet, approvals, reports",
            "ssop analysis list # what the analyses found",
            "ssop health        # is everything up",
            "ssop server add NAME --host HOST --key-file KEY   # add another server",
        )

    def _audit(self, who: Principal, lines: Sequence[str]) -> None:
        with self.sessions() as s, s.begin():
            record_in(
                s,
                self.clock.now(),
                who.actor,
                "quickstart",
                LOCALHOST,
                "; ".join(lines),
            )


def _this_machine() -> ServerCreate:
    return ServerCreate(
        name=LOCALHOST, local=True, description="this machine, added by ssop quickstart"
    )
