"""One server's visit: one readings round trip, custom get actions one call each,
every failure recorded with its cause instead of raised."""

from __future__ import annotations

from ssop.core.actions.builtin import readings_command
from ssop.core.actions.guards.checks import GuardConfig
from ssop.core.actions.readings import Baseline, parse_combined
from ssop.core.actions.spec import ActionSpec, RiskLevel
from ssop.core.crawl.host_visit import (
    FIRST_READINGS,
    READINGS,
    CrawlTarget,
    HostCrawl,
    HostOutcome,
    HostSettings,
)
from ssop.core.crawl.parse import Cause
from ssop.core.errors import HostKeyMismatch, TransportError
from ssop.core.models import Server
from ssop.core.models.action import ActionType
from ssop.core.transport.base import CommandResult
from ssop.core.transport.connection_spec import ConnectionSpec
from tests.fakes.clock import FakeClock
from tests.fakes.fake_transport import FakeTransport
from tests.support.crawl import FIRST_OUTPUT, SAMPLE_A, SAMPLE_B, with_cpu

SETTINGS = HostSettings(command_timeout=30.0, use_sudo=True, guards=GuardConfig())
UPTIME = ActionSpec(
    "app_health",
    "app health",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    5.0,
    command_template=("cat", "/srv/app/health"),
)
UPTIME_OK = ActionSpec(
    "uptime_ok",
    "uptime",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    5.0,
    command_template=("uptime",),
)
QUEUE = ActionSpec(
    "queue_depth",
    "queue depth",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    5.0,
    command_template=("cat", "/srv/app/queue"),
)


def visit(
    fake: FakeTransport,
    *,
    previous: Baseline | None = None,
    readings: bool = True,
    custom: tuple[ActionSpec, ...] = (),
    clock: FakeClock | None = None,
    username: str = "ops",
    auth: bool = False,
) -> HostOutcome:
    server = Server(name="web1", host="10.0.0.1", username=username)
    target = CrawlTarget(ConnectionSpec.of(server), readings, custom, auth)
    return HostCrawl(
        target, fake, previous=previous, clock=clock or FakeClock(), settings=SETTINGS
    ).run()


def test_a_first_visit_takes_two_samples_in_one_round_trip() -> None:
    fake = FakeTransport().on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
    outcome = visit(fake)
    assert fake.argvs == [FIRST_READINGS.argv]
    assert fake.timeouts == [30.0]
    assert outcome.record.ok and outcome.record.cause is None
    assert outcome.record.values is not None
    assert outcome.record.values["cpu_percent"] == 44.4
    assert outcome.readings is not None and outcome.readings.cpu_counters is not None


def test_later_visits_take_one_sample_against_the_previous_one() -> None:
    previous = parse_combined(SAMPLE_A, None).baseline()
    fake = FakeTransport().on(*READINGS.argv, stdout=SAMPLE_B)
    outcome = visit(fake, previous=previous)
    assert fake.argvs == [READINGS.argv]
    assert outcome.record.values is not None
    assert outcome.record.values["cpu_percent"] == 44.4


def test_duration_comes_from_the_monotonic_clock_even_when_wall_time_jumps() -> None:
    clock = FakeClock()

    def slow(_cmd: object) -> CommandResult:
        clock.jump_wall(-7200)  # NTP steps the wall clock back mid-visit
        clock.advance(1.5)
        return CommandResult(FIRST_OUTPUT, "", 0, 0.0)

    fake = FakeTransport({FIRST_READINGS.argv: slow})
    started = clock.now()
    outcome = visit(fake, clock=clock)
    assert outcome.record.duration_s == 1.5
    assert outcome.record.at == started


def test_a_non_zero_exit_is_command_failed_with_the_last_stderr_line() -> None:
    fake = FakeTransport().on(
        *FIRST_READINGS.argv, stderr="warming up\nsh: 1: cannot fork\n", exit_code=2
    )
    outcome = visit(fake)
    assert outcome.record.cause is Cause.COMMAND_FAILED
    assert "exited 2" in outcome.record.message
    assert "cannot fork" in outcome.record.message
    assert outcome.record.values is None and outcome.readings is None


def test_output_without_sections_is_command_failed() -> None:
    fake = FakeTransport().on(*FIRST_READINGS.argv, stdout="Welcome to the jungle\n")
    outcome = visit(fake)
    assert outcome.record.cause is Cause.COMMAND_FAILED
    assert "no readings" in outcome.record.message


def test_a_timeout_is_recorded_and_custom_actions_are_not_tried() -> None:
    fake = FakeTransport().on(*FIRST_READINGS.argv, duration_s=31.0)
    outcome = visit(fake, custom=(UPTIME,))
    assert outcome.record.cause is Cause.TIMEOUT
    assert fake.argvs == [FIRST_READINGS.argv]
    assert outcome.record.outputs == ()


def test_a_changed_host_key_is_recorded_as_host_key() -> None:
    fake = FakeTransport(
        {FIRST_READINGS.argv: HostKeyMismatch("server web1: HOST KEY MISMATCH")}
    )
    outcome = visit(fake)
    assert outcome.record.cause is Cause.HOST_KEY
    assert "MISMATCH" in outcome.record.message


def test_custom_get_actions_run_one_call_each_after_the_readings() -> None:
    fake = (
        FakeTransport()
        .on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
        .on("cat", "/srv/app/health", stdout="ok\n")
        .on("cat", "/srv/app/queue", stderr="no such file\n", exit_code=1)
    )
    outcome = visit(fake, custom=(UPTIME, QUEUE))
    assert fake.argvs[1:] == [("cat", "/srv/app/health"), ("cat", "/srv/app/queue")]
    assert fake.timeouts[1:] == [5.0, 5.0]
    assert outcome.record.ok
    health, queue = outcome.record.outputs
    assert (health["action_name"], health["exit_code"], health["stdout"]) == (
        "app_health",
        0,
        "ok\n",
    )
    assert (queue["exit_code"], queue["stderr"]) == (1, "no such file\n")


def test_a_custom_action_timing_out_is_a_timeout_and_the_next_still_runs() -> None:
    fake = (
        FakeTransport()
        .on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
        .on("cat", "/srv/app/health", stdout="half a", stderr="slow\n", duration_s=60)
        .on("cat", "/srv/app/queue", stdout="3\n")
    )
    outcome = visit(fake, custom=(UPTIME, QUEUE))
    assert outcome.record.cause is Cause.TIMEOUT
    assert "cat did not finish within 5s" in outcome.record.message
    assert outcome.record.values is not None  # the readings are kept
    slow, fast = outcome.record.outputs
    assert (slow["exit_code"], slow["stdout"], slow["stderr"]) == (
        None,
        "half a",
        "slow\n",
    )
    assert fast["stdout"] == "3\n"


def test_a_custom_action_cut_off_at_the_cap_keeps_its_output_without_a_status() -> None:
    fake = FakeTransport(output_cap=1024).on(
        "cat", "/srv/app/health", stdout="y\n" * 4096
    )
    outcome = visit(fake, readings=False, custom=(UPTIME,))
    assert outcome.record.ok
    (row,) = outcome.record.outputs
    assert (row["exit_code"], row["truncated"], len(row["stdout"])) == (
        None,
        True,
        1024,
    )


DF_SECTION = SAMPLE_B[
    SAMPLE_B.index("==ssop:df==\n") : SAMPLE_B.index("==ssop:procs==")
]


def with_df(lines: str) -> str:
    return SAMPLE_B.replace(DF_SECTION, "==ssop:df==\n" + lines)


def later_visit(output: str) -> HostOutcome:
    previous = parse_combined(with_cpu(SAMPLE_A, 10, 10), None).baseline()
    return visit(FakeTransport().on(*READINGS.argv, stdout=output), previous=previous)


def test_a_failing_df_is_named_and_the_other_readings_are_kept() -> None:
    outcome = later_visit(with_df("!failed 1\n"))
    assert outcome.record.cause is Cause.DF_FAILED
    assert outcome.record.message == (
        "server web1: df failed (exit 1); disk readings are missing"
    )
    assert outcome.record.values is not None
    assert outcome.record.values["memory_percent"] == 25.0


def test_a_hung_df_is_named_even_after_some_disks() -> None:
    disk = "/dev/sda1 50000000 40000000 7440000 85% /\n"
    outcome = later_visit(with_df(disk + "!failed 124\n"))
    assert outcome.record.cause is Cause.DF_FAILED
    assert "df did not finish within 10s" in outcome.record.message


def test_df_failing_over_one_mount_while_listing_the_rest_is_no_error() -> None:
    outcome = later_visit(with_df(DF_SECTION.split("\n", 1)[1] + "!failed 1\n"))
    whole = later_visit(with_df(DF_SECTION.split("\n", 1)[1])).record.values
    assert outcome.record.ok
    assert outcome.record.values is not None and whole is not None
    assert outcome.record.values["disks"] == whole["disks"]


ROOTED = ActionSpec(
    "dmesg_tail",
    "kernel log",
    ActionType.COMMAND_GET,
    RiskLevel.LOW,
    5.0,
    command_template=("dmesg", "--ctime"),
    needs_root=True,
)


def test_sudo_wanting_a_password_is_named() -> None:
    fake = (
        FakeTransport()
        .on(
            "sudo",
            "-n",
            "--",
            "dmesg",
            "--ctime",
            stderr="sudo: a password is required\n",
            exit_code=1,
        )
        .on("uptime", stdout="up\n")
    )
    outcome = visit(fake, readings=False, custom=(ROOTED, UPTIME_OK))
    assert outcome.record.cause is Cause.SUDO_PASSWORD
    assert outcome.record.message == "server web1: dmesg_tail: sudo wants a password"
    assert [o["exit_code"] for o in outcome.record.outputs] == [1, 0]


def test_a_command_failing_under_sudo_for_another_reason_is_its_output_only() -> None:
    fake = FakeTransport().on(
        "sudo", "-n", "--", "dmesg", "--ctime", stderr="dmesg: bad\n", exit_code=1
    )
    assert visit(fake, readings=False, custom=(ROOTED,)).record.ok


def test_once_stopping_no_further_command_starts() -> None:
    fake = FakeTransport().on("cat", "/srv/app/health", stdout="ok\n")
    server = Server(name="web1", host="10.0.0.1", username="ops")
    target = CrawlTarget(ConnectionSpec.of(server), True, (UPTIME,))
    crawl = HostCrawl(
        target,
        fake,
        previous=None,
        clock=FakeClock(),
        settings=SETTINGS,
        stopping=lambda: True,
    )
    crawl.run()
    assert fake.calls == []


def test_a_lost_connection_keeps_the_sample_records_the_cause_stops_the_rest() -> None:
    fake = FakeTransport(
        {
            FIRST_READINGS.argv: CommandResult(FIRST_OUTPUT, "", 0, 0.0),
            ("cat", "/srv/app/health"): TransportError(
                "server web1: connection lost while running cat: reset"
            ),
        }
    )
    outcome = visit(fake, custom=(UPTIME, QUEUE))
    assert outcome.record.values is not None
    assert outcome.record.cause is Cause.UNREACHABLE
    assert [o["action_name"] for o in outcome.record.outputs] == ["app_health"]
    assert ("cat", "/srv/app/queue") not in fake.argvs


def test_only_custom_actions_means_no_readings_command_and_no_sample() -> None:
    fake = FakeTransport().on("cat", "/srv/app/health", stdout="ok\n")
    outcome = visit(fake, readings=False, custom=(UPTIME,))
    assert fake.argvs == [("cat", "/srv/app/health")]
    assert outcome.record.ok and outcome.record.values is None
    assert outcome.readings is None


def test_ten_megabytes_of_output_are_cut_at_the_cap_and_still_parse() -> None:
    flood = "x" * (10 * 1024 * 1024)
    hostile_df = SAMPLE_B.replace("==ssop:df==\n", "==ssop:df==\n" + flood + "\n")
    fake = FakeTransport(output_cap=256 * 1024).on(*READINGS.argv, stdout=hostile_df)
    outcome = visit(
        fake, previous=parse_combined(with_cpu(SAMPLE_A, 10, 10), None).baseline()
    )
    assert outcome.record.ok and outcome.record.values is not None
    assert outcome.record.values["memory_percent"] == 25.0
    assert outcome.record.values["disks"] == []  # the flood pushed df past the cap


def test_needs_root_custom_actions_use_sudo_unless_root() -> None:
    rooted = ROOTED
    fake = FakeTransport().on("sudo", "-n", "--", "dmesg", "--ctime", stdout="boot\n")
    assert visit(fake, readings=False, custom=(rooted,)).record.ok
    as_root = FakeTransport().on("dmesg", "--ctime", stdout="boot\n")
    assert visit(as_root, readings=False, custom=(rooted,), username="root").record.ok


AUTH = "==ssop:auth==\n@f:12:3400\n41 203.0.113.7\n2 2001:db8::5\n7 not-an-ip\n"


def test_failed_logins_are_read_when_assigned_and_counted_from_the_last_marker() -> (
    None
):
    first_cmd = readings_command(first=True, auth_marker="-")
    first_out = FIRST_OUTPUT.replace("==ssop:procs==", AUTH + "==ssop:procs==")
    first = visit(FakeTransport().on(*first_cmd.argv, stdout=first_out), auth=True)
    assert first.record.values is not None and first.readings is not None
    assert first.record.values["auth_failures"] == [
        {"address": "203.0.113.7", "count": 41},
        {"address": "2001:db8::5", "count": 2},
    ]
    baseline = first.readings.baseline()
    assert baseline.auth_marker == "f:12:3400"

    later_cmd = readings_command(first=False, auth_marker="f:12:3400")
    quiet = SAMPLE_B.replace("==ssop:procs==", "==ssop:auth==\n@\n==ssop:procs==")
    fake = FakeTransport().on(*later_cmd.argv, stdout=quiet)
    later = visit(fake, previous=baseline, auth=True)
    assert fake.argvs == [later_cmd.argv]
    assert later.record.values is not None
    assert later.record.values["auth_failures"] == []
    assert later.readings is not None  # no new entry: the marker stays
    assert later.readings.baseline().auth_marker == "f:12:3400"


def test_without_get_auth_failures_no_failed_logins_are_read() -> None:
    fake = FakeTransport().on(*FIRST_READINGS.argv, stdout=FIRST_OUTPUT)
    outcome = visit(fake)
    assert outcome.record.values is not None
    assert outcome.record.values["auth_failures"] is None
    assert "auth" not in FIRST_READINGS.argv[2]
