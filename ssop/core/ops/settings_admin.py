"""Changing settings in the config file, with authorisation and an audit row.

When the store is reachable and initialised, only a caller holding
settings.write may change a setting, and the change is audited (the key,
never the value). When the store is unreachable or not initialised the
change is allowed, so a wrong database URL can still be fixed; the config
file is 0600 anyway.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr

from ssop.core.accounts.access import require_in
from ssop.core.accounts.permissions import Capability, Principal
from ssop.core.audit import record_in, refusals_audited
from ssop.core.clock import Clock
from ssop.core.config.loader import LoadedConfig, mask_url, set_config_value
from ssop.core.config.schema import Settings
from ssop.core.errors import PermissionDenied, StoreError
from ssop.core.ops.store_admin import StoreService
from ssop.core.store.db import SessionFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrittenSetting:
    path: Path
    key: str
    value: Any
    secret: bool


class SettingsAdminService:
    def __init__(
        self,
        config: LoadedConfig,
        store: StoreService,
        sessions: SessionFactory,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.sessions = sessions
        self.clock = clock

    @refusals_audited("config.set", "{key}")
    def set(self, principal: Principal | None, key: str, raw: str) -> WrittenSetting:
        """Validate and write ``key = raw`` to the config file.

        Raises:
            ConfigError: unknown key or invalid value; nothing is written.
            PermissionDenied: the store is up and the caller is not logged in
                or lacks settings.write.
        """
        if not self._store_is_up():
            log.warning("config: store not reachable; %s set without a login", key)
            return self._write(key, raw)
        if principal is None:
            raise PermissionDenied(
                "changing settings needs a login with settings.write",
                hint="run: ssop login",
            )
        with self.sessions() as s, s.begin():
            now = self.clock.now()
            current = require_in(s, now, principal, Capability.SETTINGS_WRITE)
            written = self._write(key, raw)
            record_in(s, now, current.actor, "config.set", key)
        return written

    def _store_is_up(self) -> bool:
        try:
            self.store.require_current()
        except StoreError:
            return False
        return True

    def _write(self, key: str, raw: str) -> WrittenSetting:
        value = set_config_value(self.config, key, raw)
        secret = is_secret(key)
        if isinstance(value, str):
            value = mask_url(value)
        return WrittenSetting(self.config.paths.config_file, key, value, secret)


def is_secret(dotted_key: str) -> bool:
    section, _, field = dotted_key.partition(".")
    section_info = Settings.model_fields.get(section)
    if section_info is None or not isinstance(section_info.annotation, type):
        return False
    info = section_info.annotation.model_fields.get(field)
    if info is None:
        return False
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)
