"""One behaviour suite for every Transport: Fake (scripted), Local, asyncssh
and Fabric.

The SSH adapters run against the real sshd on loopback (``sshd`` fixture). The fake is
scripted with what the real ones do, and must pass the same assertions.

Ending a command on the host is checked on the host: what a test starts
carries a random token, and nothing carrying it may be left running. The
test sshd logs in as root, the case where OpenSSH ignores signal requests;
a non-root login cannot be made here (this machine's other accounts are
locked, and the test sshd runs without PAM), so the remote deadline and
the EOF switch, which do not depend on the login, are what is tested.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ssop.core.errors import CommandTimeout
from ssop.core.transport.base import (
    DEFAULT_OUTPUT_CAP,
    Command,
    CommandResult,
    RunInterrupted,
    RunTimedOut,
    Transport,
)
from ssop.core.transport.local import LocalTransport
from ssop.core.transport.ssh import FabricTransport
from ssop.core.transport.ssh_async import AsyncSshTransport
from tests.fakes.fake_transport import FakeTransport, UnscriptedCommand
from tests.support.shims import ShimDir
from tests.support.sshd import Sshd
from tests.support.stragglers import (
    ctrl_c_after,
    end,
    gone_within,
    hang_script,
    new_token,
)

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
TOKEN = new_token()
ENDLESS_LINE = f"ssop-endless-{TOKEN}\n"
ENDLESS_STDOUT = ("yes", ENDLESS_LINE[:-1])
ENDLESS_STDERR = ("sh", "-c", 'exec yes "$0" >&2', ENDLESS_LINE[:-1])
PRINT_THEN_HANG = ("sh", "-c", "echo started; echo warming >&2; exec sleep 30")
SLOW_PRINTER = (
    "sh",
    "-c",
    'i=0; while :; do echo "line $i"; i=$((i + 1)); sleep 0.2; done',
)
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
    endless = ENDLESS_LINE * (output_cap // len(ENDLESS_LINE) + 2)
    fake.on(*ENDLESS_STDOUT, stdout=endless, duration_s=1e9)
    fake.on(*ENDLESS_STDERR, stderr=endless, duration_s=1e9)
    fake.on(*PRINT_THEN_HANG, stdout="started\n", stderr="warming\n", duration_s=30)
    fake.on(*SLOW_PRINTER, stdout="line 0\nline 1\nline 2\n", duration_s=1e9)
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
    *,
    end_at_cap: bool = True,
) -> CommandResult:
    return transport.run(Command(argv, stdin, end_at_cap), timeout=timeout)


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


def test_a_command_not_to_be_cut_off_runs_to_its_end_past_the_cap(
    transport: Transport,
) -> None:
    result = run(transport, BIG_STDERR, end_at_cap=False)

    assert result.stderr == "y" * DEFAULT_OUTPUT_CAP
    assert (result.stdout, result.stdout_truncated, result.stderr_truncated) == (
        "done\n",
        False,
        True,
    )
    assert (result.exit_code, result.cut_off) == (0, False)


@pytest.mark.parametrize(
    "argv", [ENDLESS_STDOUT, ENDLESS_STDERR], ids=["stdout", "stderr"]
)
def test_endless_output_is_cut_at_the_cap_and_the_command_ended(
    transport: Transport, argv: tuple[str, ...]
) -> None:
    started = time.monotonic()
    try:
        result = run(transport, argv, timeout=30.0)
        elapsed = time.monotonic() - started

        cut, other = (
            (result.stdout, result.stderr)
            if argv == ENDLESS_STDOUT
            else (result.stderr, result.stdout)
        )
        assert (result.cut_off, result.exit_code, other) == (True, -1, "")
        assert len(cut) == DEFAULT_OUTPUT_CAP and cut.startswith(ENDLESS_LINE * 3)
        assert result.stdout_truncated or result.stderr_truncated
        assert elapsed < 10, "read on past the cap"
        assert gone_within(TOKEN, seconds=5.0)
    finally:
        end(TOKEN)


def test_a_timed_out_command_keeps_what_it_printed(transport: Transport) -> None:
    with pytest.raises(RunTimedOut, match="did not finish within 3s") as caught:
        run(transport, PRINT_THEN_HANG, timeout=3.0)

    partial = caught.value.partial
    assert (partial.stdout, partial.stderr) == ("started\n", "warming\n")
    assert caught.value.ended_on_host, caught.value.message


def test_a_slow_printer_stopped_at_its_deadline_keeps_every_line_it_sent(
    transport: Transport,
) -> None:
    with pytest.raises(RunTimedOut) as caught:
        run(transport, SLOW_PRINTER, timeout=2.0)

    lines = caught.value.partial.stdout.splitlines()
    assert len(lines) >= 3
    assert lines == [f"line {i}" for i in range(len(lines))]


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


@pytest.fixture(
    params=[
        "local",
        ASYNCSSH,
        FABRIC,
        pytest.param("asyncssh-watchdog", marks=pytest.mark.sshd),
        pytest.param("fabric-watchdog", marks=pytest.mark.sshd),
    ]
)
def ending_transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    """Each real transport; over SSH also with the sh watchdog, on a host
    whose ``timeout`` is missing or not GNU's (a shim that fails)."""
    kind, _, variant = request.param.partition("-")
    if variant == "watchdog":
        shims: ShimDir = request.getfixturevalue("shims")
        shims.write_shim("timeout", exit_code=1, stderr="timeout: no such option\n")
    made = make_transport(kind, request, DEFAULT_OUTPUT_CAP)
    yield made
    made.close()


def test_a_timed_out_command_is_gone_from_the_host(
    ending_transport: Transport, tmp_path: Path
) -> None:
    token = new_token()
    script = hang_script(tmp_path, token)
    try:
        with pytest.raises(RunTimedOut) as caught:
            ending_transport.run(Command.of(str(script)), timeout=2.0)

        assert caught.value.ended_on_host, caught.value.message
        assert gone_within(token, seconds=2.0)
    finally:
        end(token)


def test_ctrl_c_ends_the_command_on_the_host(
    ending_transport: Transport, tmp_path: Path
) -> None:
    token = new_token()
    script = hang_script(tmp_path, token)
    started = time.monotonic()
    try:
        with ctrl_c_after(1.0), pytest.raises(RunInterrupted) as caught:
            ending_transport.run(Command.of(str(script)), timeout=30.0)
        elapsed = time.monotonic() - started

        assert caught.value.ended_on_host, caught.value.message
        assert "was interrupted and was stopped there" in caught.value.message
        assert elapsed < 1.0 + 5.0
        assert gone_within(token, seconds=2.0)
    finally:
        end(token)
