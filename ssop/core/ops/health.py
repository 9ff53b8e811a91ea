"""``ssop health``: is the store, Redis, the LLM and every daemon well?

Each dependency gives one ``Check``; the report's exit code says what kind
of trouble was found (CONNECTION for an unreachable dependency, ERROR for a
stale daemon or an outdated schema). Rendering is the shell's job.

With the store reachable it also tells what the daemons do (rows built in
``ssop.core.ops.watch``): unreachable and stale servers, stalled daemon
steps, and the automation switch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ssop.core.clock import Clock
from ssop.core.config.schema import Settings
from ssop.core.errors import ExitCode, SsopError
from ssop.core.ops import watch
from ssop.core.ops.checks import Check, CheckState
from ssop.core.ops.daemon_registry import (
    DaemonInfo,
    DaemonRegistry,
    DaemonState,
    stale_after_s,
    stall_after_s,
)
from ssop.core.ops.probes import OPENAI_DEFAULT_BASE_URL, ping_redis, probe_llm

if TYPE_CHECKING:
    from ssop.core.ops.store_admin import StoreService


@dataclass(frozen=True)
class HealthReport:
    checked_at: datetime
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.state is not CheckState.FAILED for c in self.checks)

    @property
    def exit_code(self) -> ExitCode:
        """CONNECTION when a dependency is unreachable, ERROR for other failures."""
        codes = {c.exit_code for c in self.checks if c.state is CheckState.FAILED}
        if not codes:
            return ExitCode.OK
        return ExitCode.CONNECTION if ExitCode.CONNECTION in codes else ExitCode.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked_at": self.checked_at.isoformat(),
            "checks": [c.as_dict() for c in self.checks],
        }


def _ok(name: str, detail: str) -> Check:
    return Check(name, CheckState.OK, detail)


def _failed(name: str, error: SsopError) -> Check:
    return Check(name, CheckState.FAILED, error.message, error.exit_code)


class HealthService:
    def __init__(
        self,
        settings: Settings,
        store: StoreService,
        daemons: DaemonRegistry,
        clock: Clock,
        *,
        probe_timeout: float = 3.0,
        key_check: Callable[[], str] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.daemons = daemons
        self.clock = clock
        self.probe_timeout = probe_timeout
        self.key_check = key_check

    def check(self, *, require_daemon: bool = False) -> HealthReport:
        """Probe every configured dependency and every registered daemon.

        Never raises for an unhealthy dependency: that is a failed ``Check``.
        """
        database = self._database()
        checks = [database, *self._redis(), *self._llm()]
        if database.state is CheckState.OK:
            checks.extend(self._master_key())
            checks.extend(self._daemons(require_daemon))
            checks.extend(self._watch())
        return HealthReport(self.clock.now(), tuple(checks))

    def _database(self) -> Check:
        try:
            status = self.store.status()
        except SsopError as e:
            return _failed("database", e)
        if status.current is None:
            return Check(
                "database",
                CheckState.FAILED,
                "not initialised (run: ssop init)",
                ExitCode.ERROR,
            )
        if not status.up_to_date:
            detail = (
                f"schema at {status.current}, needs {status.head} "
                "(run: ssop db upgrade)"
            )
            return Check("database", CheckState.FAILED, detail, ExitCode.ERROR)
        return _ok("database", f"reachable, schema {status.current} is current")

    def _redis(self) -> Iterator[Check]:
        url = self.settings.redis_url()
        if url is None:
            return
        try:
            ping_redis(url, self.probe_timeout)
        except SsopError as e:
            yield _failed("redis", e)
            return
        yield _ok("redis", "answers PING")

    def _llm(self) -> Iterator[Check]:
        ai = self.settings.openai
        if ai.base_url is None and ai.api_key is None:
            return
        key = ai.api_key.get_secret_value() if ai.api_key else None
        try:
            probe_llm(ai.base_url or OPENAI_DEFAULT_BASE_URL, key, self.probe_timeout)
        except SsopError as e:
            yield _failed("llm", e)
            return
        yield _ok("llm", "endpoint lists its models")

    def _master_key(self) -> Iterator[Check]:
        """Does the master key open the stored secrets? (a lost key is silent
        until the next connection otherwise)"""
        if self.key_check is None:
            return
        try:
            yield _ok("master key", self.key_check())
        except SsopError as e:
            yield _failed("master key", e)

    def _daemons(self, require_daemon: bool) -> Iterator[Check]:
        try:
            daemons = self.daemons.list()
        except SsopError as e:
            yield _failed("daemons", e)
            return
        running = [d for d in daemons if d.status is DaemonState.RUNNING]
        if not running:
            state = CheckState.FAILED if require_daemon else CheckState.WARNING
            yield Check("daemons", state, "no daemon is running", ExitCode.ERROR)
        max_age = stale_after_s(self.settings.app)
        now = self.clock.now()
        for daemon in running:
            yield self._daemon_check(daemon, now, max_age)
            if not daemon.is_stale(now, max_age):
                yield from self._stalled_steps(daemon, now)

    @staticmethod
    def _daemon_check(daemon: DaemonInfo, now: datetime, max_age: float) -> Check:
        name = f"daemon {daemon.id}"
        age = daemon.age_s(now)
        if daemon.is_stale(now, max_age):
            detail = f"stale: last seen {age:.0f}s ago (limit {max_age:.0f}s)"
            return Check(name, CheckState.FAILED, detail, ExitCode.ERROR)
        detail = f"last seen {age:.0f}s ago, {daemon.errors} step error(s)"
        return _ok(name, detail + share_detail(daemon))

    def _stalled_steps(self, daemon: DaemonInfo, now: datetime) -> list[Check]:

        return watch.step_checks(daemon, now, stall_after_s(self.settings.app))

    def _watch(self) -> Iterator[Check]:
        """The fleet's servers and the automation switch, as the store has them."""
        try:
            seen, state, shadow = watch.read_watch(
                self.store.engine, self.store.sessions, self.settings.policy
            )
            daemons = self.daemons.list()
        except SsopError as e:
            yield _failed("servers", e)
            return
        now = self.clock.now()
        every = float(self.settings.app.crawler_delay)
        crawling = any(d.status is DaemonState.RUNNING for d in daemons)
        yield from watch.server_checks(seen, now, every, crawling=crawling)
        yield watch.automation_check(state, self.settings.policy, shadow, now)


def share_detail(daemon: DaemonInfo) -> str:
    """The member's part of a shared crawl, when it shares one (Redis)."""
    info = daemon.info
    if "crawled_last_interval" not in info:
        return ""
    return (
        f"; member of {info.get('members', '?')}: crawled"
        f" {info['crawled_last_interval']} server(s) last interval,"
        f" {info.get('connections', '?')} connection(s)"
    )
