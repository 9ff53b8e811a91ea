"""Per-invocation CLI state: settings and services built once, on first use."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ssop.core.accounts.permissions import Capability, Principal
    from ssop.core.accounts.session_file import SessionFile
    from ssop.core.config.loader import LoadedConfig
    from ssop.core.services import Services


@dataclass
class CliState:
    config_path: Path | None = None
    debug: bool = False
    verbose: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    setting_up: bool = False
    """init/quickstart: a config file named by --config may not exist yet."""
    _config: LoadedConfig | None = None
    _services: Services | None = None
    _store_checked: bool = False

    def config(self) -> LoadedConfig:
        if self._config is None:
            from ssop.core.config.loader import load_config
            from ssop.core.logsetup import configure

            self._config = load_config(
                self.config_path, self.overrides, missing_ok=self.setting_up
            )
            configure(
                self._config.settings.app, "cli", verbose=self.verbose or self.debug
            )
        return self._config

    def services(self) -> Services:
        if self._services is None:
            from ssop.core.services import build_services

            self._services = build_services(self.config())
        return self._services

    def setup_services(self) -> Services:
        """The services of a command that creates what is missing (init, quickstart)."""
        self.setting_up = True
        return self.services()

    def store(self) -> Services:
        """The services, once the store is known to be initialised and current."""
        services = self.services()
        if not self._store_checked:
            services.store.require_current()
            self._store_checked = True
        return services

    def session_file(self) -> SessionFile:
        from ssop.core.accounts.session_file import SessionFile

        return SessionFile(self.config().paths.session_file)

    def credential(self) -> str | None:
        """SSOP_TOKEN when set, else the token in the login session file."""
        cfg = self.config()
        if cfg.token is not None:
            return cfg.token.get_secret_value()
        return self.session_file().read()

    def principal(self) -> Principal:
        """The caller, from SSOP_TOKEN or the login session file."""
        return self.store().auth.authenticate(self.credential())

    def optional_principal(self) -> Principal | None:
        """The caller when there is a credential and a store to check it against.

        None without a credential, or when the store is unreachable or not
        initialised (``config set`` then works without a login, to repair it).
        """
        from ssop.core.errors import StoreError

        token = self.credential()
        if token is None:
            return None
        try:
            services = self.store()
        except StoreError:
            return None
        return services.auth.authenticate(token)

    def caller_of_any_schema(self) -> Principal | None:
        """The caller, checked against a store whose schema may be behind
        (for ``db upgrade``); None without a credential."""
        token = self.credential()
        if token is None:
            return None
        return self.services().auth.authenticate(token)

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


logging.getLogger("ssop").addHandler(logging.NullHandler())


def authorize(ctx: typer.Context, capability: Capability) -> Principal:
    """The caller, after checking ``capability`` against the database now.

    Services check again inside their own transaction; this early check
    lets a command refuse before it prompts for anything.
    """
    st = state(ctx)
    return st.store().auth.require(st.principal(), capability)
