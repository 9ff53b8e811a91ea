"""Settings: one validated object per process, layered flags > env > TOML > defaults.

Each layer is read into a plain dict and merged in order, so ``ssop config show``
can say where every value came from. Legacy variable names of the tool ssop
replaces keep working (``MYSQL_HOST`` -> ``mysql.host``, ``APP_LOG_LEVEL`` ->
``app.log_level``); any key can also be set as ``SSOP_<SECTION>__<KEY>``.
This is the only module that reads ``os.environ`` or writes TOML.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from ssop.core.config.field_docs import field_docs
from ssop.core.config.schema import LEGACY_SECTIONS, Settings
from ssop.core.errors import ConfigError, PermissionDenied

SYSTEM_CONFIG = Path("/etc/ssop/ssop.toml")
SPECIAL_ENV = {
    "SSOP_DATABASE_URL": ("database", "url"),
    "SSOP_REDIS_URL": ("redis", "url"),
    "SSOP_SECRET_KEY": ("app", "secret_key"),
}

__all__ = [
    "Settings",
    "LoadedConfig",
    "Paths",
    "SystemdEnv",
    "load_config",
    "set_config_value",
    "systemd_env",
]


@dataclass(frozen=True)
class Paths:
    """Where ssop keeps its files, resolved from XDG variables once."""

    config_file: Path
    config_dir: Path
    data_dir: Path
    state_dir: Path
    named_by: str | None = None
    """``--config`` or ``SSOP_CONFIG`` when one of them named the file; None
    when it was found by the default search."""

    @property
    def secret_key_file(self) -> Path:
        return self.config_dir / "secret.key"

    @property
    def session_file(self) -> Path:
        return self.state_dir / "session"

    @property
    def default_database(self) -> Path:
        return self.data_dir / "ssop.db"


@dataclass(frozen=True)
class LoadedConfig:
    """Validated settings plus the facts about how they were found."""

    settings: Settings
    paths: Paths
    origins: Mapping[str, str]
    token: SecretStr | None

    def database_url(self) -> str:
        return self.settings.database_url(self.paths.default_database)

    def origin(self, dotted_key: str) -> str:
        return self.origins.get(dotted_key, "default")


@dataclass(frozen=True)
class SystemdEnv:
    """What systemd told this process through its environment."""

    notify_socket: str | None
    watchdog_usec: int | None
    """Watchdog period in microseconds, when the watchdog is meant for this process."""


def systemd_env(environ: Mapping[str, str] | None = None) -> SystemdEnv:
    """Read NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID (sd_watchdog_enabled(3))."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    owner = env.get("WATCHDOG_PID", "")
    mine = not owner or owner == str(os.getpid())
    watchdog = int(usec) if usec.isdigit() and int(usec) > 0 and mine else None
    return SystemdEnv(env.get("NOTIFY_SOCKET") or None, watchdog)


def resolve_paths(
    environ: Mapping[str, str],
    cli_path: Path | None = None,
    system_config: Path = SYSTEM_CONFIG,
) -> Paths:
    home = Path(environ.get("HOME") or Path.home())
    config_dir = Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "ssop"
    data_dir = Path(environ.get("XDG_DATA_HOME") or home / ".local/share") / "ssop"
    state_dir = Path(environ.get("XDG_STATE_HOME") or home / ".local/state") / "ssop"
    named_by: str | None = None
    if cli_path is not None:
        config_file, named_by = cli_path, "--config"
    elif environ.get("SSOP_CONFIG"):
        config_file, named_by = Path(environ["SSOP_CONFIG"]), "SSOP_CONFIG"
    elif system_config.exists():
        config_file = system_config
    else:
        config_file = config_dir / "config.toml"
    return Paths(config_file, config_dir, data_dir, state_dir, named_by)


def load_config(
    cli_path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    system_config: Path = SYSTEM_CONFIG,
    *,
    missing_ok: bool = False,
) -> LoadedConfig:
    """Build the settings for this process.

    Args:
        cli_path: ``--config PATH`` when given.
        overrides: dotted keys set by command-line flags (highest precedence).
        environ: the environment; ``os.environ`` when omitted.
        system_config: the system-wide file used when it exists.
        missing_ok: a file named by ``--config``/``SSOP_CONFIG`` may be missing
            (``ssop init`` creates it); otherwise that is an error.

    Raises:
        ConfigError: the named file does not exist, the file is unreadable or
            corrupt, or a value is invalid; the message names the file or
            variable and the key.
    """
    env = os.environ if environ is None else environ
    paths = resolve_paths(env, cli_path, system_config)
    if not missing_ok:
        _require_named_file(paths)
    origins: dict[str, str] = {}
    merged: dict[str, Any] = {}
    _layer(merged, origins, read_toml(paths.config_file), f"file {paths.config_file}")
    for key, (value, var) in _env_values(env).items():
        _set_dotted(merged, key, value)
        origins[key] = f"env {var}"
    for key, value in (overrides or {}).items():
        _set_dotted(merged, key, value)
        origins[key] = "flag"
    settings = _validate(merged, origins)
    token = env.get("SSOP_TOKEN")
    return LoadedConfig(settings, paths, origins, SecretStr(token) if token else None)


def _require_named_file(paths: Paths) -> None:
    # A typo in --config or SSOP_CONFIG must not quietly mean "all defaults".
    path = paths.config_file
    if paths.named_by is not None and not path.exists():
        raise ConfigError(
            f"config file {path} (named by {paths.named_by}) does not exist",
            hint="check the path; `ssop init` creates a new one",
        )


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing file is empty, anything else wrong is an error."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except PermissionError as e:
        raise ConfigError(f"config file {path}: not readable ({e.strerror})") from e
    except IsADirectoryError as e:
        raise ConfigError(f"config file {path}: is a directory") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(
            f"config file {path}: not valid TOML ({e})",
            hint="fix the file, or move it away to start from defaults",
        ) from e


def set_config_value(loaded: LoadedConfig, dotted_key: str, raw: str) -> Any:
    """Validate ``dotted_key = raw`` and write it to the config file.

    Returns:
        The validated value as written.

    Raises:
        ConfigError: unknown key or invalid value; the file is left unchanged.
    """
    section, _, field = dotted_key.partition(".")
    if not _is_known_key(section, field):
        raise ConfigError(
            f"unknown setting {dotted_key!r}", hint="see: ssop config show"
        )
    path = loaded.paths.config_file
    file_data = read_toml(path)
    _set_dotted(file_data, dotted_key, _parse_cli_value(raw))
    origins = {dotted_key: f"value for {dotted_key}"}
    validated = _validate(file_data, origins)
    value = _plain(getattr(getattr(validated, section), field))
    _set_dotted(file_data, dotted_key, value)
    write_toml(path, file_data)
    return value


def write_toml(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``data`` (0600).

    Raises:
        PermissionDenied: the folder or file is not writable by this user.
        ConfigError: another file-system error.
    """
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # a leftover .tmp keeps its mode otherwise
        with os.fdopen(fd, "wb") as fh:
            import tomli_w

            fh.write(tomli_w.dumps(_drop_none(data)).encode())
        tmp.replace(path)
    except PermissionError as e:
        raise PermissionDenied(
            f"cannot write the config file {path}: {e.strerror} ({e.filename})",
            hint="run as the user who owns it, or name another with --config",
        ) from e
    except OSError as e:
        raise ConfigError(f"cannot write the config file {path}: {e.strerror}") from e


def effective_items(loaded: LoadedConfig) -> list[tuple[str, str, str, str]]:
    """Rows of (key, shown value, origin, help) with every secret masked."""
    rows = []
    for section_name, section in loaded.settings:
        assert isinstance(section, BaseModel)
        docs = field_docs(type(section))
        for field_name in type(section).model_fields:
            key = f"{section_name}.{field_name}"
            value = _shown(getattr(section, field_name))
            rows.append((key, value, loaded.origin(key), docs.get(field_name, "")))
    return rows


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "********" if value.get_secret_value() else ""
    if isinstance(value, str):
        return mask_url(value)
    if value is None:
        return ""
    if isinstance(value, list) and any(isinstance(v, BaseModel) for v in value):
        # model_dump(mode="json") masks SecretStr fields (webhook URLs) as stars
        value = [v.model_dump(mode="json") for v in value]
    return json.dumps(value)


def mask_url(url: str) -> str:
    """Hide the password in a URL such as ``mysql+mysqldb://u:pw@h/db``.

    Anything that is not a URL with a password comes back unchanged.
    """
    scheme, sep, rest = url.partition("://")
    end = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    authority = rest[:end]
    if not sep or "@" not in authority:
        return url
    creds, _, host = authority.rpartition("@")
    user, colon, _ = creds.partition(":")
    shown = f"{user}:***" if colon else creds
    return f"{scheme}://{shown}@{host}{rest[end:]}"


def _env_values(env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for section_name, info in Settings.model_fields.items():
        section_cls = info.annotation
        assert isinstance(section_cls, type) and issubclass(section_cls, BaseModel)
        for field_name in section_cls.model_fields:
            names = [f"SSOP_{section_name}__{field_name}".upper()]
            if section_name in LEGACY_SECTIONS:
                names.insert(0, f"{section_name}_{field_name}".upper())
            for var in names:
                if var in env:
                    found[f"{section_name}.{field_name}"] = (env[var], var)
    for var, (section_name, field_name) in SPECIAL_ENV.items():
        if env.get(var):
            found[f"{section_name}.{field_name}"] = (env[var], var)
    return found


def _layer(
    merged: dict[str, Any],
    origins: dict[str, str],
    data: Mapping[str, Any],
    origin: str,
) -> None:
    for section, values in data.items():
        if not isinstance(values, Mapping):
            merged[section] = values
            origins[section] = origin
            continue
        for key, value in values.items():
            _set_dotted(merged, f"{section}.{key}", value)
            origins[f"{section}.{key}"] = origin


def _validate(merged: Mapping[str, Any], origins: Mapping[str, str]) -> Settings:
    try:
        return Settings.model_validate(merged)
    except ValidationError as e:
        err = e.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        section = key.split(".")[0]
        where = origins.get(key) or origins.get(section) or "settings"
        message = f"{where}: key {key}: {err['msg']}"
        raise ConfigError(message, hint=_fix_hint(where, key)) from e


def _fix_hint(where: str, key: str) -> str | None:
    if where.startswith("env "):
        return f"fix or unset {where.removeprefix('env ')}"
    if where.startswith("file "):
        return f"fix {key} in {where.removeprefix('file ')}"
    return None


def _is_known_key(section: str, field: str) -> bool:
    info = Settings.model_fields.get(section)
    if info is None or not isinstance(info.annotation, type):
        return False
    return field in info.annotation.model_fields


def _parse_cli_value(raw: str) -> Any:
    if raw.startswith(("[", "{")):
        try:
            return json.loads(raw)
        except json.JSONDecodeError as e:
            raise ConfigError(f"value {raw!r} is not valid JSON ({e.msg})") from e
    return raw


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value if v is not None}
    if isinstance(value, Path):
        return str(value)
    return value


def _drop_none(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out[key] = _drop_none(value)
        elif value is not None:
            out[key] = value
    return out


def _set_dotted(target: dict[str, Any], dotted_key: str, value: Any) -> None:
    section, _, field = dotted_key.partition(".")
    if not field:
        target[section] = value
        return
    existing = target.get(section)
    if not isinstance(existing, dict):
        existing = {}
        target[section] = existing
    existing[field] = value
