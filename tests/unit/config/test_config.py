"""Settings: precedence, legacy names, file selection, errors, and writing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ssop.core.config.loader import (
    effective_items,
    load_config,
    mask_url,
    set_config_value,
)
from ssop.core.errors import ConfigError

NO_SYSTEM = Path("/nonexistent/ssop.toml")


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"), **extra}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_source(tmp_path: Path) -> None:
    loaded = load_config(environ=env_for(tmp_path), system_config=NO_SYSTEM)
    assert loaded.settings.app.crawler_delay == 60
    assert loaded.settings.app.model_delay == 300
    assert loaded.database_url() == f"sqlite:///{tmp_path}/.local/share/ssop/ssop.db"
    assert loaded.settings.redis_url() is None
    assert loaded.origin("app.crawler_delay") == "default"


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "c.toml",
        "[app]\ncrawler_delay = 10\nmodel_delay = 20\nport = 7000\n",
    )
    env = env_for(tmp_path, APP_CRAWLER_DELAY="11", APP_MODEL_DELAY="21")
    loaded = load_config(cfg, {"app.crawler_delay": 12}, env, NO_SYSTEM)
    assert loaded.settings.app.crawler_delay == 12
    assert loaded.settings.app.model_delay == 21
    assert loaded.settings.app.port == 7000
    assert loaded.origin("app.crawler_delay") == "flag"
    assert loaded.origin("app.model_delay") == "env APP_MODEL_DELAY"
    assert loaded.origin("app.port") == f"file {cfg}"


def test_legacy_variable_names_map_to_sections(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        MYSQL_HOST="db.local",
        MYSQL_PORT="3307",
        MYSQL_USER="ssop",
        MYSQL_PASSWORD="p@ss:w/rd",
        MYSQL_DATABASE="fleet",
        REDIS_HOST="127.0.0.1",
        REDIS_DB="3",
        OPENAI_API_KEY="sk-test",
        OPENAI_MODEL="llama3",
        OPENAI_LANGUAGE="German",
        OPENAI_BASE_URL="http://127.0.0.1:11434/v1",
        APP_LOG_LEVEL="DEBUG",
        APP_INIT_SECRET="first",
    )
    s = load_config(environ=env, system_config=NO_SYSTEM).settings
    assert (
        s.database_url("x")
        == "mysql+mysqldb://ssop:p%40ss%3Aw%2Frd@db.local:3307/fleet"
    )
    assert s.redis_url() == "redis://127.0.0.1:6379/3"
    assert (
        s.openai.api_key is not None
        and s.openai.api_key.get_secret_value() == "sk-test"
    )
    assert (s.openai.model, s.openai.language) == ("llama3", "German")
    assert s.openai.base_url == "http://127.0.0.1:11434/v1"
    assert s.app.log_level == "DEBUG"


def test_ssop_urls_win_over_component_variables(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        MYSQL_HOST="ignored",
        SSOP_DATABASE_URL="sqlite:////tmp/x.db",
        SSOP_REDIS_URL="redis://127.0.0.1:6379/5",
    )
    loaded = load_config(environ=env, system_config=NO_SYSTEM)
    assert loaded.database_url() == "sqlite:////tmp/x.db"
    assert loaded.settings.redis_url() == "redis://127.0.0.1:6379/5"


def test_generic_ssop_names_reach_any_section(tmp_path: Path) -> None:
    env = env_for(tmp_path, SSOP_RETENTION__DAYS="7")
    assert (
        load_config(environ=env, system_config=NO_SYSTEM).settings.retention.days == 7
    )


def test_unrelated_variables_with_section_prefixes_are_ignored(tmp_path: Path) -> None:
    env = env_for(tmp_path, SSH_AUTH_SOCK="/tmp/agent", DAEMON_X="1", AUTH_TOKEN="t")
    assert load_config(environ=env, system_config=NO_SYSTEM).settings.ssh.use_sudo


def test_file_selection_order(tmp_path: Path) -> None:
    system = write(tmp_path / "etc/ssop.toml", "[app]\nport = 1001\n")
    env_file = write(tmp_path / "env.toml", "[app]\nport = 1002\n")
    cli_file = write(tmp_path / "cli.toml", "[app]\nport = 1003\n")
    xdg = write(tmp_path / "cfg/ssop/config.toml", "[app]\nport = 1004\n")
    env = env_for(tmp_path, SSOP_CONFIG=str(env_file))
    assert load_config(cli_file, None, env, system).settings.app.port == 1003
    assert load_config(None, None, env, system).settings.app.port == 1002
    assert load_config(None, None, env_for(tmp_path), system).settings.app.port == 1001
    loaded = load_config(None, None, env_for(tmp_path), NO_SYSTEM)
    assert (loaded.settings.app.port, loaded.paths.config_file) == (1004, xdg)


def test_bad_env_value_names_variable_and_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"APP_CRAWLER_DELAY.*app\.crawler_delay"):
        load_config(
            environ=env_for(tmp_path, APP_CRAWLER_DELAY="soon"), system_config=NO_SYSTEM
        )


def test_bad_file_value_names_file_and_key(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", '[redis]\nport = "six"\n')
    with pytest.raises(ConfigError, match=rf"{cfg}.*redis\.port"):
        load_config(cfg, None, env_for(tmp_path), NO_SYSTEM)


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    cfg = write(tmp_path / "c.toml", "[app]\ncrawler_dealy = 5\n")
    with pytest.raises(ConfigError, match="app.crawler_dealy"):
        load_config(cfg, None, env_for(tmp_path), NO_SYSTEM)


@pytest.mark.parametrize("content", ["[app\n", "app = = 1", "\x00\x01"])
def test_corrupt_file_is_a_config_error(tmp_path: Path, content: str) -> None:
    cfg = write(tmp_path / "c.toml", content)
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(cfg, None, env_for(tmp_path), NO_SYSTEM)


def test_unreadable_path_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "dir.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(folder, None, env_for(tmp_path), NO_SYSTEM)


def test_secrets_are_masked_in_effective_items(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        OPENAI_API_KEY="sk-very-secret",
        SSOP_DATABASE_URL="mysql+mysqldb://root:hunter2@127.0.0.1/ssop",
    )
    rows = effective_items(load_config(environ=env, system_config=NO_SYSTEM))
    text = repr(rows)
    assert "sk-very-secret" not in text and "hunter2" not in text
    shown = {key: value for key, value, _, _ in rows}
    assert shown["openai.api_key"] == "********"
    assert shown["database.url"] == "mysql+mysqldb://root:***@127.0.0.1/ssop"


@pytest.mark.parametrize(
    ("variable", "url", "shown"),
    [
        (
            "SSOP_REDIS_URL",
            "redis://:sekrit@127.0.0.1:6379/0",
            "redis://:***@127.0.0.1:6379/0",
        ),
        (
            "SSOP_REDIS_URL",
            "rediss://ops:sekrit@r.example/2",
            "rediss://ops:***@r.example/2",
        ),
        (
            "OPENAI_BASE_URL",
            "http://u:sekrit@llm.local/v1",
            "http://u:***@llm.local/v1",
        ),
    ],
)
def test_every_url_with_credentials_is_masked(
    tmp_path: Path, variable: str, url: str, shown: str
) -> None:
    env = env_for(tmp_path, **{variable: url})
    rows = effective_items(load_config(environ=env, system_config=NO_SYSTEM))
    assert "sekrit" not in repr(rows)
    assert shown in [value for _, value, _, _ in rows]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:p@ss@h:1/0", "redis://:***@h:1/0"),
        ("mysql+mysqldb://root@h/db", "mysql+mysqldb://root@h/db"),
        ("http://h/path@x?q=a:b@c", "http://h/path@x?q=a:b@c"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url_hides_only_the_password(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_set_writes_typed_value_to_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    loaded = load_config(cfg, None, env_for(tmp_path), NO_SYSTEM, missing_ok=True)
    assert set_config_value(loaded, "app.crawler_delay", "45") == 45
    assert tomllib.loads(cfg.read_text()) == {"app": {"crawler_delay": 45}}
    assert cfg.stat().st_mode & 0o777 == 0o600
    set_config_value(loaded, "guards.never_block", '["10.0.0.0/8"]')
    assert tomllib.loads(cfg.read_text())["guards"] == {"never_block": ["10.0.0.0/8"]}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("app.crawler_delay", "later", "app.crawler_delay"),
        ("app.nope", "1", "unknown setting"),
        ("nosection.key", "1", "unknown setting"),
        ("redis.port", "70000", "redis.port"),
    ],
)
def test_set_refuses_invalid_and_leaves_file_alone(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    cfg = write(tmp_path / "c.toml", "[app]\nport = 1234\n")
    before = cfg.read_bytes()
    loaded = load_config(cfg, None, env_for(tmp_path), NO_SYSTEM)
    with pytest.raises(ConfigError, match=message):
        set_config_value(loaded, key, value)
    assert cfg.read_bytes() == before


def test_the_example_config_file_loads_as_documented(tmp_path: Path) -> None:
    example = Path(__file__).parents[3] / "configs" / "ssop.example.toml"
    loaded = load_config(
        cli_path=example, environ=env_for(tmp_path), system_config=NO_SYSTEM
    )
    s = loaded.settings
    assert loaded.database_url().startswith("mysql+mysqldb://ssop@127.0.0.1:3306/ssop")
    assert s.redis_url() == "redis://127.0.0.1:6379/0"
    assert (s.policy.mode, s.ssh.client, s.daemon.concurrency) == (
        "shadow",
        "asyncssh",
        64,
    )
    assert "postgresql.service" in s.guards.protected_units
    assert loaded.origin("policy.mode") == f"file {example}"


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=rf"{missing} \(named by --config\)"):
        load_config(missing, None, env_for(tmp_path), NO_SYSTEM)
    env = env_for(tmp_path, SSOP_CONFIG=str(missing))
    with pytest.raises(ConfigError, match=r"named by SSOP_CONFIG\) does not exist"):
        load_config(None, None, env, NO_SYSTEM)
    loaded = load_config(None, None, env, NO_SYSTEM, missing_ok=True)
    assert loaded.paths.config_file == missing and not missing.exists()


def test_a_default_file_may_be_missing(tmp_path: Path) -> None:
    loaded = load_config(None, None, env_for(tmp_path), NO_SYSTEM)
    assert loaded.paths.named_by is None and not loaded.paths.config_file.exists()
