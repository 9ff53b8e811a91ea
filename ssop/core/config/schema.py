"""The settings schema: every section and key, each documented under itself.

The docstrings become the help text of ``ssop config show``.
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal
from urllib.parse import quote, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

# Sections whose keys also answer to the seed tool's variable names (MYSQL_HOST ...).
LEGACY_SECTIONS = frozenset({"app", "mysql", "redis", "openai"})
TIME_OF_DAY = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppSection(Section):
    name: str = "ssop"
    """Name shown in logs and the dashboard."""
    env: str = "production"
    """Free-form environment label (production, staging, ...)."""
    debug: bool = False
    """Show tracebacks for unexpected errors."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    """Log level of the CLI (the daemon logs at INFO unless this is DEBUG)."""
    port: int = Field(default=9187, ge=0, le=65535)
    """Port of the daemon's /health and /metrics endpoint (0: any free port)."""
    bind: str = "127.0.0.1"
    """Address the daemon's /health and /metrics endpoint binds to."""
    crawler_delay: int = Field(default=60, ge=1)
    """Seconds between two crawls of the fleet."""
    model_delay: int = Field(default=300, ge=1)
    """Seconds between two analyses of the fleet."""
    init_secret: SecretStr | None = None
    """Password given to the first admin by `ssop init` (APP_INIT_SECRET)."""
    secret_key: SecretStr | None = None
    """Master key for secrets at rest; overrides the key file (SSOP_SECRET_KEY)."""


class DatabaseSection(Section):
    url: str | None = None
    """SQLAlchemy URL of the store (SSOP_DATABASE_URL); default: embedded SQLite."""


class MysqlSection(Section):
    host: str | None = None
    """MySQL/MariaDB host; setting it selects MySQL unless database.url is set."""
    port: int = Field(default=3306, ge=1, le=65535)
    """MySQL/MariaDB port."""
    user: str = "root"
    """MySQL/MariaDB user."""
    password: SecretStr | None = None
    """MySQL/MariaDB password."""
    database: str = "ssop"
    """MySQL/MariaDB database name."""


class RedisSection(Section):
    url: str | None = None
    """Redis URL (SSOP_REDIS_URL); Redis is used only when this or host is set."""
    host: str | None = None
    """Redis host."""
    port: int = Field(default=6379, ge=1, le=65535)
    """Redis port."""
    password: SecretStr | None = None
    """Redis password."""
    db: int = Field(default=0, ge=0)
    """Redis database index."""
    timeout: float = Field(default=1.0, gt=0, le=30)
    """Seconds to wait for Redis to connect or answer one command. A slower
    Redis counts as down: the in-process queue serves at once and Redis is
    tried again with backoff, so a hung Redis never holds up the crawl."""

    @field_validator("url")
    @classmethod
    def _a_redis_url(cls, url: str | None) -> str | None:
        if url is not None:
            check_redis_url(url)
        return url


def check_redis_url(url: str) -> None:
    """Raise ValueError (never quoting the URL, it may hold a password) unless
    ``url`` is one redis-py accepts: redis://, rediss:// or unix://."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ValueError(
            "not a Redis URL: it must start redis://, rediss:// or unix://"
        )
    try:
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError as e:
        raise ValueError("the port is not a number from 0 to 65535") from e
    database = parts.path.strip("/")
    if parts.scheme != "unix" and database and not database.isdigit():
        raise ValueError("the database (the path after the host) must be a number")


class OpenaiSection(Section):
    api_key: SecretStr | None = None
    """API key of the OpenAI-compatible endpoint; no key means the rule engine."""
    model: str = "gpt-4o-mini"
    """Model name sent to the endpoint."""
    language: str = "English"
    """Language of the model's summary and reasoning."""
    base_url: str | None = None
    """Base URL of an OpenAI-compatible server (Ollama, vLLM, LM Studio ...)."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for one answer."""
    max_retries: int = Field(default=3, ge=0, le=10)
    """Retries on 429 and 5xx, honouring Retry-After."""
    max_tokens: int = Field(default=1000, ge=64, le=32_000)
    """Most completion tokens one analysis may use."""
    max_retry_after: float = Field(default=60.0, ge=0)
    """Longest Retry-After waited for; a longer one counts as a failure and
    keeps the endpoint closed for that long instead."""


class AnalysisSection(Section):
    disk_percent: float = Field(default=90.0, gt=0, le=100)
    """Use (%) of a file system (a disk, or a tmpfs holding /tmp, /var/tmp, /run
    or /dev/shm) at or above which it is full: the cleanup whose folders it holds
    is recommended (cleanup_temp_files for /tmp and /var/tmp, cleanup_log_files
    for /var/log)."""
    mem_available_pct: float = Field(default=10.0, gt=0, lt=100)
    """Available memory (% of the total, MemAvailable) below which memory is
    under pressure: kill_process of the largest process is recommended, at
    high risk (approval)."""
    process_cpu_pct: float = Field(default=90.0, gt=0, le=10_000)
    """CPU use (% of one core) at or above which one process is a runaway:
    kill_process of it is recommended, at medium risk."""
    ssh_failures: int = Field(default=20, ge=1)
    """Failed SSH logins from one address over the last `of_last` readings at or
    above which it is brute-forcing sshd: block_ip_firewalld of it is recommended,
    at high risk (approval). Needs get_auth_failures assigned."""
    ssh_block_private: bool = False
    """Also recommend blocking brute-forcing addresses in private ranges
    (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7); off: only a finding."""
    load_per_core: float = Field(default=2.0, gt=0)
    """1-minute load per CPU core above which load counts as too high."""
    need_readings: int = Field(default=3, ge=1)
    """A condition must hold in this many of the last `of_last` readings (N)."""
    of_last: int = Field(default=5, ge=1, le=100)
    """How many of the latest readings the N-of-M rule looks at (M)."""
    flapping_failures: int = Field(default=3, ge=1)
    """Failures of a unit after a restart (or recovery) within the window that
    make it flapping: restarts are no longer recommended for it."""
    flapping_window_s: int = Field(default=3600, ge=60)
    """Seconds of history the flapping rule looks at."""
    cleanup_days: int = Field(default=7, ge=1)
    """The days parameter given to recommended cleanup actions."""
    llm_mode: Literal["auto", "always", "never"] = "auto"
    """When to ask the model: auto (when the rules see something), always, never."""
    reuse_window_s: int = Field(default=900, ge=0)
    """Seconds during which an analysis of unchanged readings is reused, not redone."""
    model_wait_s: float = Field(default=90.0, gt=0)
    """Seconds one analysis waits for the model in all: answers, retries and
    Retry-After waits. Past it the model counts as failed (llm_timeout, or
    llm_429 for a Retry-After that does not fit) and the rules' result stands."""
    breaker_failures: int = Field(default=3, ge=1)
    """Consecutive model failures that open the circuit breaker."""
    breaker_cooldown_s: float = Field(default=300.0, gt=0)
    """Seconds the model is left alone once the breaker opened."""
    untrusted_cap: int = Field(default=4000, ge=200, le=100_000)
    """Characters of host-derived text at most in one prompt."""
    history_analyses: int = Field(default=3, ge=0, le=20)
    """Previous analyses summarised in the prompt."""
    history_executions: int = Field(default=5, ge=0, le=50)
    """Recent executions summarised in the prompt."""

    @model_validator(mode="after")
    def _n_within_m(self) -> AnalysisSection:
        if self.need_readings > self.of_last:
            raise ValueError("need_readings must not exceed of_last")
        return self


class AuthSection(Section):
    session_hours: float = Field(default=12.0, gt=0)
    """Lifetime of a CLI login session, in hours."""
    bcrypt_rounds: int = Field(default=12, ge=12, le=16)
    """bcrypt cost factor for passwords."""
    lockout_failures: int = Field(default=5, ge=1)
    """Failed logins within the window that lock an account."""
    lockout_minutes: int = Field(default=15, ge=1)
    """The failure window and the lock duration, in minutes."""
    min_password_length: int = Field(default=12, ge=1, le=72)
    """Fewest characters a new password may have (user add, user passwd, init)."""


class SshSection(Section):
    client: Literal["asyncssh", "fabric"] = "asyncssh"
    """SSH library: asyncssh keeps every connection on one event loop (~40 KB
    each); fabric (paramiko) keeps a thread and ~150 KB per connection."""
    connect_timeout: float = Field(default=10.0, gt=0)
    """Seconds to connect and authenticate."""
    command_timeout: float = Field(default=30.0, gt=0)
    """Default seconds a command may run; the host itself ends it a little
    before (10 % of the time, 0.5 to 5 s), so its end is confirmed."""
    output_cap: int = Field(default=256 * 1024, ge=1024)
    """Bytes of stdout and of stderr kept per command. A read-only command
    is ended when a stream passes it; one that changes the host runs on."""
    use_sudo: bool = True
    """Prefix root-only commands with `sudo -n` (not needed when logging in as root)."""


class GuardsSection(Section):
    never_block: list[str] = Field(default_factory=list)
    """Addresses or networks that block_ip_firewalld refuses, besides loopback etc."""
    protected_units: list[str] = Field(
        default_factory=lambda: [
            "sshd.service",
            "ssh.service",
            "networking.service",
            "dbus.service",
            "systemd-journald.service",
        ]
    )
    """systemd units that ssop never stops."""
    cleanup_roots: list[str] = Field(default_factory=lambda: ["/tmp", "/var/tmp"])
    """Roots that path parameters of changing (command_execute) actions must stay
    under; checked as written, then on the server with symlinks resolved."""

    @field_validator("cleanup_roots")
    @classmethod
    def _clean_roots(cls, roots: list[str]) -> list[str]:
        for root in roots:
            clean = root[:1] == "/" and posixpath.normpath(root) == root
            if not clean or root == "/" or root.startswith("//"):
                raise ValueError(f"{root!r} must be a clean absolute path other than /")
        return roots


class DaemonSection(Section):
    concurrency: int = Field(default=64, ge=1, le=1024)
    """Servers crawled at the same time."""
    memory_buffer: int = Field(default=10_000, ge=0)
    """Readings held in memory while the database is down."""
    stream_maxlen: int = Field(default=100_000, ge=1000)
    """Approximate length cap of the Redis crawl stream."""


class RetentionSection(Section):
    days: int = Field(default=30, ge=1)
    """Days of history kept: metric samples, action outputs, crawl errors, error
    events and policy decisions (`ssop db prune`; the daemon prunes daily at
    prune_at)."""
    prune_at: str = "03:30"
    """Time of day (HH:MM, the daemon host's local time) the daemon prunes at."""

    @field_validator("prune_at")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not TIME_OF_DAY.fullmatch(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00-23:59)")
        return value


class PolicySection(Section):
    mode: Literal["live", "shadow"] = "live"
    """live runs what policy allows; shadow only records "would have executed"."""
    shadow_servers: list[str] = Field(default_factory=list)
    """Servers kept in shadow mode while the fleet is live."""
    auto_max_risk: Literal["low", "medium"] = "medium"
    """Highest effective risk run without approval (high never is)."""
    min_confidence: float = Field(default=0.7, ge=0.0, le=1.0)
    """Lowest analysis confidence acted on without approval."""
    cooldown_s: int = Field(default=900, ge=0)
    """Seconds before the same action and parameters run again on a server."""
    max_auto_per_hour: int = Field(default=3, ge=0)
    """Automatic executions per server per hour."""
    fleet_max_auto_per_hour: int = Field(default=20, ge=0)
    """Automatic executions across the fleet per hour."""
    max_concurrent: int = Field(default=2, ge=0)
    """Automatic executions running at the same time across the fleet."""
    max_fleet_percent: float = Field(default=20.0, ge=0.0, le=100.0)
    """Share of servers changed in the last hour past which automation waits (>= 1)."""
    four_eyes: bool = True
    """Nobody approves their own manual request at or above four_eyes_min_risk."""
    four_eyes_min_risk: Literal["low", "medium", "high"] = "high"
    """Lowest risk at which four-eyes applies."""
    approval_ttl_hours: float = Field(default=24.0, gt=0)
    """Hours until an undecided (or approved, unrun) request expires: rejected."""
    claim_lease_s: int = Field(default=300, ge=10)
    """Seconds past the timeout before a claimed or running execution is unknown."""
    verify_delay_s: int = Field(default=60, ge=0)
    """Seconds after a change before readings show whether the condition cleared."""
    verify_failures_to_demote: int = Field(default=2, ge=1)
    """Failed verifications in a row before an action needs approval on that server."""


class WebhookConfig(Section):
    url: SecretStr
    """Endpoint URL; treated as a secret (chat webhook URLs carry their token)."""
    format: Literal["generic", "slack", "discord"] = "generic"
    """Payload shape: generic JSON, Slack-compatible or Discord-compatible."""
    events: list[
        Literal[
            "approval_requested",
            "approval_decided",
            "approval_expired",
            "execution_done",
            "execution_failed",
            "verification_failed",
            "daemon_error",
        ]
    ] = Field(default_factory=list)
    """Events sent to this hook; empty means all."""
    timeout: float = Field(default=5.0, gt=0, le=60)
    """Seconds to wait for one delivery attempt."""


class NotifySection(Section):
    webhooks: list[WebhookConfig] = Field(default_factory=list)
    """Webhooks, as [[notify.webhooks]] tables: url, format, events, timeout."""
    retries: int = Field(default=3, ge=0, le=10)
    """Retries of a failed delivery, with doubling backoff."""
    backoff_s: float = Field(default=1.0, ge=0, le=60)
    """Wait before the first retry; doubled for each next one."""
    queue_size: int = Field(default=1000, ge=1)
    """Notifications held for delivery; beyond it new ones are dropped and recorded."""


class Settings(BaseModel):
    """All of ssop's settings."""

    model_config = ConfigDict(extra="forbid")

    app: AppSection = Field(default_factory=AppSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    mysql: MysqlSection = Field(default_factory=MysqlSection)
    redis: RedisSection = Field(default_factory=RedisSection)
    openai: OpenaiSection = Field(default_factory=OpenaiSection)
    analysis: AnalysisSection = Field(default_factory=AnalysisSection)
    auth: AuthSection = Field(default_factory=AuthSection)
    ssh: SshSection = Field(default_factory=SshSection)
    guards: GuardsSection = Field(default_factory=GuardsSection)
    daemon: DaemonSection = Field(default_factory=DaemonSection)
    retention: RetentionSection = Field(default_factory=RetentionSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    notify: NotifySection = Field(default_factory=NotifySection)

    def database_url(self, default_sqlite: object) -> str:
        if self.database.url:
            return self.database.url
        if self.mysql.host:
            m = self.mysql
            pw = (
                f":{quote(m.password.get_secret_value(), safe='')}"
                if m.password
                else ""
            )
            return f"mysql+mysqldb://{m.user}{pw}@{m.host}:{m.port}/{m.database}"
        return f"sqlite:///{default_sqlite}"

    def redis_url(self) -> str | None:
        r = self.redis
        if r.url:
            return r.url
        if not r.host:
            return None
        pw = f":{quote(r.password.get_secret_value(), safe='')}@" if r.password else ""
        return f"redis://{pw}{r.host}:{r.port}/{r.db}"
