"""Give freed heap memory back to the operating system between steps.

A crawl parses a thousand outputs on many threads; once their objects are
freed, glibc keeps most of those pages mapped (held in per-thread arenas
and in holes below the top of the heap), so a daemon that is idle between
crawls would sit at its busiest size all day. ``malloc_trim`` returns the
free pages. Elsewhere than glibc this is a no-op.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded: libc among them
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_malloc_trim = _find_malloc_trim()


def release_freed_memory() -> bool:
    """Return free heap pages to the OS; False where that is not possible."""
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True
