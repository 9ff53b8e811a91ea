"""One behaviour suite for every Transport: Fake (scripted), Local, asyncssh
and Fabric.

The SSH adapters run against the real sshd on loopback (``sshd`` fixture). The fake is
scripted with what the real ones do, and must pass the same assertions.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from ssop.core.errors import CommandTimeout
from ssop.core.transport.base import (
    DEFAULT_OUTPUT_CAP,
    Command,
    CommandResult,
    Transport,
)
from ssop.core.transport.local import LocalTransport
from ssop.core.transport.ssh import FabricTransport
from ssop.core.transport.ssh_async import AsyncSshTransport
from tests.fakes.fake_transport import FakeTransport, UnscriptedCommand
from tests.support.sshd import Sshd

BIG = 10 * 1024 * 1024
TRICKY = (
    "with space",
    "$HOME",
    "`id`",
    "$(id)",
    '"dq"',
    "'sq'",
    "*",
    "a\nb",
    "",
    "héllo ✓",
    "-n",
    ";",
    "|",
    "&&",
    "\\",
)
VERBATIM = ("printf", "%s", "a; rm -rf /")
EACH_ON_A_LINE = ("printf", "%s\n", *TRICKY)
MIXED = ("sh", "-c", "echo out; echo err >&2; exit 3")
CAT = ("cat",)
COUNT_STDIN = ("wc", "-c")
SLEEP = ("sleep", "30")
BIG_STDOUT = ("sh", "-c", f"head -c {BIG} /dev/zero | tr '\\0' x")
BIG_STDERR = ("sh", "-c", f"head -c {BIG} /dev/zero | tr '\\0' y >&2; echo done")
MISSING = ("ssop-no-such-command",)
ACCENTS = ("printf", "%s", "ééééé")  # 10 bytes of UTF-8
SMALL_CAP = 7
ASYNCSSH = pytest.param("asyncssh", marks=pytest.mark.sshd)
FABRIC = pytest.param("fabric", marks=pytest.mark.sshd)


def _from_stdin(transform: str) -> Callable[[Command], CommandResult]:
    def reply(cmd: Command) -> CommandResult:
        data = cmd.stdin or b""
        out = data.decode() if transform == "cat" else f"{len(data)}\n"
        return CommandResult(out, "", 0, 0.0)

    return reply


def scripted_fake(output_cap: int = DEFAULT_OUTPUT_CAP) -> FakeTransport:
    """A FakeTransport scripted with what a real host answers."""
    fake = FakeTransport(output_cap=output_cap)
    fake.on(*VERBATIM, stdout="a; rm -rf /")
    fake.on(*EACH_ON_A_LINE, stdout="".join(f"{arg}\n" for arg in TRICKY))
    fake.on(*MIXED, stdout="out\n", stderr="err\n", exit_code=3)
    fake.script[CAT] = _from_stdin("cat")
    fake.script[COUNT_STDIN] = _from_stdin("count")
    fake.on(*SLEEP, duration_s=30.0)
    fake.on(*BIG_STDOUT, stdout="x" * BIG)
    fake.on(*BIG_STDERR, stdout="done\n", stderr="y" * BIG)
    fake.on(
        *MISSING,
        stderr="fake: ssop-no-such-command: command not found\n",
        exit_code=127,
    )
    fake.on(*ACCENTS, stdout="ééééé")
    return fake


def make_transport(kind: str, request: pytest.FixtureRequest, cap: int) -> Transport:
    if kind == "fake":
        return scripted_fake(cap)
    if kind == "local":
        return LocalTransport(output_cap=cap)
    sshd: Sshd = request.getfixturevalue("sshd")
    if kind == "asyncssh":
        return AsyncSshTransport(sshd.endpoint(), output_cap=cap)
    return FabricTransport(sshd.endpoint(), output_cap=cap)


@pytest.fixture(params=["fake", "local", ASYNCSSH, FABRIC])
def transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    made = make_transport(request.param, request, DEFAULT_OUTPUT_CAP)
    yield made
    made.close()


@pytest.fixture(params=["fake", "local", ASYNCSSH, FABRIC])
def small_cap_transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    made = make_transport(request.param, request, SMALL_CAP)
    yield made
    made.close()


def run(
    transport: Transport,
    argv: tuple[str, ...],
    stdin: bytes | None = None,
    timeout: float = 10.0,
) -> CommandResult:
    return transport.run(Command(argv, stdin), timeout=timeout)


def test_shell_metacharacters_arrive_verbatim(transport: Transport) -> None:
    result = run(transport, VERBATIM)

    assert (result.stdout, result.stderr, result.exit_code) == ("a; rm -rf /", "", 0)


def test_each_argument_arrives_as_exactly_one_argument(transport: Transport) -> None:
    result = run(transport, EACH_ON_A_LINE)

    assert result.stdout == "".join(f"{arg}\n" for arg in TRICKY)


def test_nonzero_exit_and_stderr_are_data(transport: Transport) -> None:
    result = run(transport, MIXED)

    assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)
    assert not result.ok
    assert 0 <= result.duration_s < 10


def test_missing_program_is_exit_127_not_an_exception(transport: Transport) -> None:
    result = run(transport, MISSING)

    assert result.exit_code == 127
    assert "ssop-no-such-command" in result.stderr and "not found" in result.stderr


def test_stdin_reaches_the_command(transport: Transport) -> None:
    result = run(transport, CAT, stdin=b"hello\nworld\n")

    assert result.stdout == "hello\nworld\n"


def test_a_megabyte_of_stdin_arrives_whole(transport: Transport) -> None:
    result = run(transport, COUNT_STDIN, stdin=b"z" * 1024 * 1024)

    assert result.stdout.strip() == str(1024 * 1024)


def test_without_stdin_a_reading_command_sees_eof(transport: Transport) -> None:
    result = run(transport, CAT, timeout=5.0)

    assert (result.stdout, result.exit_code) == ("", 0)


def test_timeout_raises_promptly_and_transport_stays_usable(
    transport: Transport,
) -> None:
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match="sleep"):
        run(transport, SLEEP, timeout=1.0)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0 + 1.0
    assert run(transport, VERBATIM).stdout == "a; rm -rf /"


def test_ten_megabytes_of_stdout_are_cut_at_the_cap(transport: Transport) -> None:
    result = run(transport, BIG_STDOUT)

    assert result.stdout == "x" * DEFAULT_OUTPUT_CAP
    assert result.stdout_truncated and not result.stderr_truncated


def test_stderr_is_capped_on_its_own(transport: Transport) -> None:
    result = run(transport, BIG_STDERR)

    assert result.stderr == "y" * DEFAULT_OUTPUT_CAP
    assert (result.stdout, result.stdout_truncated, result.stderr_truncated) == (
        "done\n",
        False,
        True,
    )


def test_cap_never_splits_a_character(small_cap_transport: Transport) -> None:
    result = run(small_cap_transport, ACCENTS)

    assert (result.stdout, result.stdout_truncated) == ("ééé", True)


def test_fake_records_calls_and_timeouts() -> None:
    fake = scripted_fake()

    run(fake, CAT, stdin=b"x", timeout=3.0)
    run(fake, VERBATIM, timeout=4.0)

    assert fake.argvs == [CAT, VERBATIM]
    assert fake.calls[0].stdin == b"x"
    assert fake.timeouts == [3.0, 4.0]


def test_fake_refuses_unscripted_argv_loudly() -> None:
    with pytest.raises(UnscriptedCommand, match="'rm'"):
        run(scripted_fake(), ("rm", "-rf", "/"))


@pytest.fixture(params=["local", ASYNCSSH, FABRIC])
def real_transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    made = make_transport(request.param, request, DEFAULT_OUTPUT_CAP)
    yield made
    made.close()


def test_output_beyond_the_cap_is_never_held_in_memory(
    real_transport: Transport,
) -> None:
    tracemalloc.start()
    try:
        run(real_transport, BIG_STDOUT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # 10 MiB went through; at most the cap plus paramiko's 2 MiB window stays
    assert peak < 4 * 1024 * 1024
