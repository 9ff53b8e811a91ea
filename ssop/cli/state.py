"""Per-invocation CLI state: settings and services built once, on first use."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ssop.core.config import LoadedConfig
    from ssop.core.permissions import Principal
    from ssop.core.services import Services


@dataclass
class CliState:
    config_path: Path | None = None
    debug: bool = False
    verbose: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    _config: LoadedConfig | None = None
    _services: Services | None = None

    def config(self) -> LoadedConfig:
        if self._config is None:
            from ssop.core.config import load_config
            from ssop.core.logsetup import configure

            self._config = load_config(self.config_path, self.overrides)
            configure(
                self._config.settings.app, "cli", verbose=self.verbose or self.debug
            )
        return self._config

    def services(self) -> Services:
        if self._services is None:
            from ssop.core.services import build_services

            self._services = build_services(self.config())
        return self._services

    def principal(self) -> Principal:
        """The caller, from SSOP_TOKEN or the login session file."""
        from ssop.core.session_file import SessionFile

        cfg = self.config()
        token = cfg.token.get_secret_value() if cfg.token else None
        if token is None:
            token = SessionFile(cfg.paths.session_file).read()
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


def authorize(ctx: typer.Context, capability: str) -> Principal:
    """The caller, after checking ``capability`` against the database now."""
    from ssop.core.permissions import Capability

    st = state(ctx)
    principal = st.principal()
    st.services().auth.require(principal, Capability(capability))
    return principal
