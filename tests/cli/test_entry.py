"""The console script: ``ssop --version`` before Typer loads, the rest via the app."""

from __future__ import annotations

import gc
import subprocess
import sys

from ssop import __version__
from ssop.cli import collector


def ssop(*args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['ssop', *{list(args)!r}]\n"
        "from ssop.cli.main import run\n"
        "run()\n"
        "print('typer' in sys.modules, file=sys.stderr)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )


def test_version_alone_is_answered_without_typer() -> None:
    result = ssop("--version")
    assert result.stdout == f"ssop {__version__}\n"
    assert result.stderr.strip() == "False"


def test_version_among_other_options_goes_through_the_app() -> None:
    result = ssop("--debug", "--version")
    assert result.stdout == f"ssop {__version__}\n"
    assert result.returncode == 0


def test_a_long_process_gets_the_default_collector_back() -> None:
    before = gc.get_threshold()
    try:
        collector.for_a_short_command()
        assert gc.get_threshold() == collector.SHORT
        collector.for_a_long_process()
        assert gc.get_threshold() == collector.DEFAULTS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
