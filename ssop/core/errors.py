"""ssop's own errors and the exit codes the shells map them to.

Every service translates third-party exceptions into one of these at its
boundary, so the shells only ever have to handle ``SsopError``.
"""

from __future__ import annotations

from enum import IntEnum, unique


@unique
class ExitCode(IntEnum):
    """Process exit codes of the ``ssop`` command."""

    OK = 0
    ERROR = 1
    USAGE = 2  # Click already uses 2 for usage errors; config errors share it
    NOT_FOUND = 3
    PERMISSION_DENIED = 4
    CONNECTION = 5
    POLICY_REFUSED = 6
    INTERRUPTED = 130  # 128 + SIGINT


class SsopError(Exception):
    """Base of every error ssop reports to a user.

    Args:
        message: one line saying what went wrong.
        hint: optional one line saying what to do about it.
    """

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        # set once the refusal is in the audit trail, so it is recorded once
        self.audited = False


class ConfigError(SsopError):
    """A configuration file, variable or value is invalid."""

    exit_code = ExitCode.USAGE


class InvalidInput(SsopError):
    """A value given by a user (or a model) failed validation."""

    exit_code = ExitCode.USAGE


class NotFound(SsopError):
    """A named object (server, action, user, ...) does not exist."""

    exit_code = ExitCode.NOT_FOUND


class Conflict(SsopError):
    """The object already exists, or its state forbids the change."""

    exit_code = ExitCode.ERROR


class PermissionDenied(SsopError):
    """The caller is not authenticated, or lacks the capability, or the
    operating system refused access to a file ssop must write."""

    exit_code = ExitCode.PERMISSION_DENIED


class AuthenticationFailed(PermissionDenied):
    """Login failed: the message never says whether the user exists."""


class TransportError(SsopError):
    """Reaching or talking to a server failed."""

    exit_code = ExitCode.CONNECTION


class AuthFailed(TransportError):
    """The server refused our SSH credentials, or the key could not be used."""


class HostKeyMismatch(TransportError):
    """The server presented a host key other than the pinned one."""


class HostKeyUnknown(TransportError):
    """The server has no pinned host key and none was accepted."""


class CommandTimeout(TransportError):
    """A connection or a command did not finish within its timeout."""


class JumpUnreachable(TransportError):
    """A jump host on the way to a server could not be reached or logged into;
    the message names the jump, not the server behind it."""


class StoreError(SsopError):
    """The database failed or holds something unexpected."""

    exit_code = ExitCode.ERROR


class StoreUnreachable(StoreError):
    """The database server cannot be reached."""

    exit_code = ExitCode.CONNECTION


class ExecutionNotStarted(StoreError):
    """An execution's record could not be written, so nothing was run."""


class QueueUnavailable(SsopError):
    """Redis is configured but cannot be reached."""

    exit_code = ExitCode.CONNECTION


class AnalysisError(SsopError):
    """An analyser failed to produce a valid result."""

    kind = "analysis_failed"  # recorded in error_events.kind


class ModelTimeout(AnalysisError):
    """The model endpoint did not answer within the timeout."""

    kind = "llm_timeout"


class ModelRateLimited(AnalysisError):
    """The model endpoint still answered 429 after the retries."""

    kind = "llm_429"

    def __init__(
        self, message: str, hint: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class ModelUnavailable(AnalysisError):
    """The model endpoint cannot be reached, or answered 5xx after the retries."""

    kind = "llm_unreachable"


class ModelRefused(AnalysisError):
    """The model endpoint refused the request (4xx other than 429)."""

    kind = "llm_refused"


class ModelInvalidAnswer(AnalysisError):
    """The model's answer is not JSON, is cut off, or fails the strict schema."""

    kind = "llm_invalid_json"


class PolicyRefused(SsopError):
    """Policy does not allow this execution."""

    exit_code = ExitCode.POLICY_REFUSED
