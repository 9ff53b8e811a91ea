"""First run: config file, master key, database and the first admin.

Everything that can be refused (an unreachable database, a bad password, a
key file others can read) is checked before anything is written, so a
failed ``ssop init`` changes nothing. A second run finds nothing to do and
says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ssop.core.accounts.passwords import PasswordHasher, check_new_password
from ssop.core.accounts.permissions import Role
from ssop.core.audit import record_in
from ssop.core.clock import Clock
from ssop.core.config.loader import LoadedConfig, write_toml
from ssop.core.errors import Conflict, PermissionDenied
from ssop.core.ops.store_admin import StoreService
from ssop.core.secrets.master_key import create_master_key, load_master_keys
from ssop.core.secrets.recovery import refuse_new_key
from ssop.core.store.db import SessionFactory, describe, translate_errors
from ssop.core.store.user_repo import UserRepo

log = logging.getLogger(__name__)

FIRST_ADMIN = "sysadmin"
ACTOR = "system:init"


@dataclass(frozen=True)
class InitPlan:
    write_config: bool
    create_key: bool
    upgrade_store: bool
    create_admin: bool
    schema_behind: bool = False  # and left to `ssop db upgrade`

    @property
    def anything(self) -> bool:
        return any(
            (self.write_config, self.create_key, self.upgrade_store, self.create_admin)
        )


@dataclass(frozen=True)
class InitReport:
    done: tuple[str, ...]
    admin: str | None
    password_from: str | None


def require_writable(what: str, path: Path) -> None:
    """Raise PermissionDenied unless this user may create ``path``: checked
    before anything is written, so a refused init leaves nothing behind."""
    folder = _nearest_existing(path)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionDenied(
            f"cannot create the {what} {path}: {folder} is not writable by this user",
            hint="run ssop init as the user who will own these files "
            "(see systemd/README.md), or choose other folders (--config, "
            "XDG_CONFIG_HOME, XDG_DATA_HOME, database.url)",
        )


def _nearest_existing(path: Path) -> Path:
    for folder in path.parents:
        try:
            if folder.exists():
                return folder
        except PermissionError:  # exists, but not searchable by this user
            return folder
    return Path(path.anchor or ".")


class InitService:
    def __init__(
        self,
        config: LoadedConfig,
        store: StoreService,
        sessions: SessionFactory,
        clock: Clock,
        hasher: PasswordHasher,
    ) -> None:
        self.config = config
        self.store = store
        self.sessions = sessions
        self.clock = clock
        self.hasher = hasher

    def run(self, ask_password: Callable[[], str]) -> InitReport:
        """Create whatever is missing; ``ask_password`` is called only if needed.

        Raises:
            Conflict: everything exists already; nothing was changed.
            StoreUnreachable, StoreError: the database failed.
            ConfigError: an existing key is exposed or invalid, or there is no
                key while the store holds secrets sealed with one.
            InvalidInput: the admin password is too short (auth.min_password_length)
                or over 72 bytes.
        """
        plan = self.plan()
        if not plan.anything:
            raise Conflict(
                "ssop is already initialised; nothing changed",
                hint="an admin upgrades its schema: ssop db upgrade"
                if plan.schema_behind
                else "run: ssop login",
            )
        password_hash, source = None, None
        if plan.create_admin:
            password, source = self._admin_password(ask_password)
            check_new_password(password, self.config.settings.auth.min_password_length)
            password_hash = self.hasher.hash(password)
        done = self._apply(plan)
        admin = self._create_admin(password_hash) if password_hash else None
        if admin:
            done.append(f"created admin {admin}")
        self._audit(done)
        return InitReport(tuple(done), admin, source if admin else None)

    def plan(self) -> InitPlan:
        """What ``run`` would do; checks the store is reachable and keys are sane.

        Raises:
            ConfigError: an existing key is exposed or invalid, or the key is
                missing while the store holds secrets sealed with it.
            PermissionDenied: a file to create is in a folder this user may
                not write.
        """
        paths = self.config.paths
        has_override = self.config.settings.app.secret_key is not None
        create_key = not has_override and not paths.secret_key_file.exists()
        if not create_key:
            load_master_keys(self.config)
        status = self.store.status()
        if create_key and status.current is not None:
            with translate_errors(self.store.engine), self.sessions() as s:
                refuse_new_key(s, paths.secret_key_file)
        # once there are users, a schema upgrade is an admin's (ssop db upgrade)
        initialised = status.current is not None and self._user_count() > 0
        plan = InitPlan(
            write_config=not paths.config_file.exists(),
            create_key=create_key,
            upgrade_store=not status.up_to_date and not initialised,
            create_admin=not initialised,
            schema_behind=not status.up_to_date and initialised,
        )
        for what, path in self._new_files(plan):
            require_writable(what, path)
        return plan

    def _new_files(self, plan: InitPlan) -> list[tuple[str, Path]]:
        paths, store = self.config.paths, self.store.sqlite_file()
        found = [("config file", paths.config_file)] if plan.write_config else []
        if plan.create_key:
            found.append(("master key", paths.secret_key_file))
        if store is not None and not store.exists():
            found.append(("store", store))
        return found

    def _admin_password(self, ask: Callable[[], str]) -> tuple[str, str]:
        secret = self.config.settings.app.init_secret
        if secret is not None and secret.get_secret_value():
            return secret.get_secret_value(), "APP_INIT_SECRET"
        return ask(), "input"

    def _apply(self, plan: InitPlan) -> list[str]:
        paths = self.config.paths
        done: list[str] = []
        if plan.write_config:
            write_toml(
                paths.config_file, {"app": {"name": self.config.settings.app.name}}
            )
            done.append(f"wrote config file {paths.config_file}")
        if plan.create_key:
            create_master_key(paths.secret_key_file)
            done.append(f"created master key {paths.secret_key_file}")
        if plan.upgrade_store:
            status = self.store.upgrade()
            url = describe(self.config.database_url())
            done.append(f"migrated database {url} to schema {status.current}")
        else:
            self.store.seed()  # a store migrated by hand may lack the role matrix
        return done

    def _user_count(self) -> int:
        with self.sessions() as s, s.begin():
            return UserRepo(s).count()

    def _create_admin(self, password_hash: str) -> str | None:
        now = self.clock.now()
        with self.sessions() as s, s.begin():
            repo = UserRepo(s)
            if repo.count():  # another init got there first
                return None
            repo.add(FIRST_ADMIN, password_hash, Role.ADMIN, now)
        log.info("init: created admin %s", FIRST_ADMIN)
        return FIRST_ADMIN

    def _audit(self, done: list[str]) -> None:
        with self.sessions() as s, s.begin():
            record_in(s, self.clock.now(), ACTOR, "init", "", "; ".join(done))
