"""One daemon process: its services, lock, registry row and HTTP endpoint.

``run_daemon`` is what ``ssop daemon`` calls. Start-up work that can fail
(lock, schema check, registration, binding the port) happens in bootstrap,
so its ConfigError/StoreError/Conflict reach the CLI and become a non-zero
exit that systemd sees; an ExitStack undoes exactly what was set up.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack

from ssop import __version__
from ssop.core.config.loader import LoadedConfig, SystemdEnv
from ssop.core.errors import ConfigError, SsopError
from ssop.core.notify.events import daemon_error
from ssop.core.ops.daemon_registry import (
    new_daemon_id,
    stale_after_s,
    stall_after_s,
)
from ssop.core.services import Services, build_services
from ssop.core.store.db import describe, translate_errors
from ssop.daemon.board import StatusBoard
from ssop.daemon.fleet_metrics import fleet_collector
from ssop.daemon.http import HealthServer
from ssop.daemon.lock import DaemonLock
from ssop.daemon.loop import Daemon, Hooks, StopControl
from ssop.daemon.memory import tune_malloc
from ssop.daemon.metrics import MetricsRegistry
from ssop.daemon.step import Step
from ssop.daemon.steps import build_steps
from ssop.daemon.systemd_notify import notifier_for

log = logging.getLogger(__name__)

ConfigLoader = Callable[[], LoadedConfig]
ServicesBuilder = Callable[[LoadedConfig], Services]


class DaemonRuntime:
    def __init__(
        self,
        config: LoadedConfig,
        load_config: ConfigLoader,
        *,
        once: bool = False,
        build: ServicesBuilder = build_services,
    ) -> None:
        self._load_config = load_config
        self._build = build
        self.once = once
        self.services = build(config)
        clock = self.services.clock
        app = self.services.config.settings.app
        self.board = StatusBoard(
            new_daemon_id(), clock.now(), clock, stall_after_s(app)
        )
        self.metrics = MetricsRegistry()
        self.metrics.watch(fleet_collector(self.services))
        self.control = StopControl()
        self.http_port: int | None = None
        self._stack = ExitStack()

    @property
    def daemon_id(self) -> str:
        return self.board.daemon_id

    def steps(self) -> list[Step]:
        return build_steps(
            self.services,
            board=self.board,
            metrics=self.metrics,
            should_stop=self.control.should_stop,
        )

    def daemon(self, systemd: SystemdEnv) -> Daemon:
        clock = self.services.clock
        return Daemon(
            self.steps(),
            clock,
            notifier_for(systemd, clock),
            board=self.board,
            metrics=self.metrics,
            control=self.control,
            hooks=Hooks(
                self.bootstrap,
                self.teardown,
                self.reload,
                self.step_failed,
                errors=self.store_errors,
            ),
        )

    def store_errors(self) -> AbstractContextManager[None]:
        """A step's database errors as StoreError: one log line, not a traceback."""
        return translate_errors(self.services.engine)

    def step_failed(self, step: str, message: str) -> None:
        """Tell the webhooks; the notifier queues and never raises."""
        event = daemon_error(self.services.clock.now(), step, message, self.daemon_id)
        self.services.notifier.notify(event)

    def bootstrap(self) -> None:
        """Lock (SQLite), check the schema, register, serve /health.

        Raises:
            Conflict: another daemon runs on this SQLite file.
            StoreError: the store is unreachable, uninitialised or behind.
            ConfigError: the /health port cannot be bound.
        """
        store = self.services.store
        store.require_current()  # first: a mistyped path must not get a lock file
        db_file = store.sqlite_file()
        if db_file is not None:
            lock = DaemonLock(db_file)
            lock.acquire()
            self._stack.callback(lock.release)
        settings = self.services.config.settings
        self.services.daemons.register(
            self.daemon_id,
            info={"version": __version__, "once": self.once},
            lost_after_s=stale_after_s(settings.app),
        )
        self._stack.callback(self._record_stop)
        if not self.once:
            server = HealthServer(
                settings.app.bind, settings.app.port, self.board, self.metrics
            )
            self.http_port = server.start()
            self._stack.callback(server.stop)
        log.info(
            "daemon %s: started, pid %d, store %s",
            self.daemon_id,
            os.getpid(),
            describe(self.services.config.database_url()),
        )

    def teardown(self) -> None:
        try:
            self._stack.close()
        finally:
            self.services.close()

    def reload(self) -> Sequence[Step]:
        """Re-read the configuration and rebuild the services and steps.

        Raises:
            ConfigError: the new configuration is invalid or names another
                database; the running configuration stays.
        """
        config = self._load_config()
        old = self.services
        self._check_reloadable(old.config, config)
        self.services = self._build(config)
        old.close()
        self.board.stall_after_s = stall_after_s(config.settings.app)
        log.info("daemon %s: configuration reloaded", self.daemon_id)
        return self.steps()

    def _record_stop(self) -> None:
        try:
            self.services.daemons.stop(self.daemon_id)
        except SsopError as e:
            log.warning(
                "daemon %s: could not record the stop: %s", self.daemon_id, e.message
            )

    def _check_reloadable(self, old: LoadedConfig, new: LoadedConfig) -> None:
        if old.database_url() != new.database_url():
            # The lock and the registry row belong to the old store.
            raise ConfigError(
                "the database changed: a reload cannot switch stores",
                hint="restart the daemon (systemctl restart ssop-daemon)",
            )
        a, b = old.settings.app, new.settings.app
        if (a.bind, a.port) != (b.bind, b.port):
            log.warning(
                "daemon %s: app.bind and app.port take effect on restart only",
                self.daemon_id,
            )


def run_daemon(
    config: LoadedConfig,
    load_config: ConfigLoader,
    *,
    once: bool,
    systemd: SystemdEnv,
    build: ServicesBuilder = build_services,
) -> int:
    """Run the daemon until stopped; the process exit code.

    Raises:
        SsopError: start-up failed (see ``DaemonRuntime.bootstrap``).
    """
    tune_malloc()  # before the crawl's threads exist
    runtime = DaemonRuntime(config, load_config, once=once, build=build)
    return runtime.daemon(systemd).run(once=once)
