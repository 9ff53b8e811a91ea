"""Garbage collection tuned for how long the process lives.

Starting a command creates a few hundred thousand objects that live as long
as the process (classes, functions, SQLAlchemy and pydantic structures) and
hardly any garbage. With the default thresholds the collector walks them
again and again while they are imported, and once more at exit, which alone
cost a quick command about a quarter of its CPU time. A short command
collects rarely and freezes everything at exit (the operating system takes
the memory back anyway); a long-running one (the daemon) goes back to the
defaults, first moving what it imported out of the collector's sight.
"""

from __future__ import annotations

import atexit
import gc

DEFAULTS = gc.get_threshold()
SHORT = (200_000, 20, 100)


def for_a_short_command() -> None:
    gc.set_threshold(*SHORT)
    atexit.register(gc.freeze)


def for_a_long_process() -> None:
    """Freeze what is loaded (never collected again) and restore the defaults."""
    atexit.unregister(gc.freeze)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*DEFAULTS)
