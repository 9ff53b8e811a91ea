"""A tiny daemon for signal and notify tests, run as a real process.

    python -m tests.integration.daemon_entry DIR STEP_SECONDS INTERVAL_SECONDS

Its one step ``work`` sleeps STEP_SECONDS in real time, checking
``should_stop()`` never (so a warm stop must wait for it), and leaves marker
files in DIR: ``started-N`` and ``finished-N`` per run, ``reloaded-N`` per
SIGHUP reload, ``teardown`` on the way out.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ssop.core.clock import SystemClock
from ssop.core.config.loader import systemd_env
from ssop.core.config.schema import AppSection
from ssop.core.logsetup import configure
from ssop.daemon.loop import Daemon, Hooks
from ssop.daemon.step import Step, StepOutcome
from ssop.daemon.systemd_notify import notifier_for


def main(folder: Path, step_s: float, interval_s: float) -> int:
    runs: list[int] = []
    reloads: list[int] = []

    def work() -> StepOutcome:
        runs.append(len(runs) + 1)
        (folder / f"started-{runs[-1]}").touch()
        time.sleep(step_s)
        (folder / f"finished-{runs[-1]}").touch()
        return StepOutcome(summary=f"worked {len(runs)} time(s)")

    def reload() -> None:
        reloads.append(len(reloads) + 1)
        (folder / f"reloaded-{reloads[-1]}").touch()

    configure(AppSection(), "daemon")
    clock = SystemClock()
    hooks = Hooks(teardown=lambda: (folder / "teardown").touch(), reload=reload)
    daemon = Daemon(
        [Step("work", interval_s, work)],
        clock,
        notifier_for(systemd_env(), clock),
        hooks=hooks,
    )
    return daemon.run()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])))
