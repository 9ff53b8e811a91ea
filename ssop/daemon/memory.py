"""Keep the daemon's heap small: few malloc arenas, freed pages given back.

A crawl parses a thousand outputs on many threads. glibc gives new threads
arenas of their own (up to 8 per core), and freed blocks stay mapped in
each of them; once the objects are freed,
most of those pages would stay resident, so a daemon idle between crawls
would sit at its busiest size all day. Two arenas are plenty where a GIL
serialises the allocating threads anyway, and blocks of 64 KiB and more
(command outputs) are mapped on their own and unmapped when freed, instead
of glibc raising that threshold as they come and go and keeping them on
the heap. After each step the garbage in reference cycles (asyncssh's
channels, tracebacks) is collected and ``malloc_trim`` returns the free
pages. Elsewhere than glibc the malloc calls are no-ops.
"""

from __future__ import annotations

import ctypes
import gc
import logging
from typing import Any

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
M_ARENA_MAX = -8
ARENAS = 2
MMAP_THRESHOLD = 64 * 1024


def _libc() -> Any:
    try:
        return ctypes.CDLL(None)  # the symbols already loaded: libc among them
    except OSError:
        return None


_LIBC = _libc()


def _function(name: str, *argtypes: Any) -> Any:
    function = getattr(_LIBC, name, None)
    if function is not None:
        function.argtypes = list(argtypes)
        function.restype = ctypes.c_int
    return function


_malloc_trim = _function("malloc_trim", ctypes.c_size_t)
_mallopt = _function("mallopt", ctypes.c_int, ctypes.c_int)


def tune_malloc() -> bool:
    """Cap glibc's malloc arenas and fix its mmap threshold; call before
    threads start. False where that is not possible (not glibc)."""
    if _mallopt is None:
        return False
    return bool(_mallopt(M_ARENA_MAX, ARENAS)) and bool(
        _mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    )


def release_freed_memory() -> bool:
    """Free cyclic garbage, then return free heap pages to the OS; False
    where the latter is not possible."""
    gc.collect()
    if _malloc_trim is None:
        return False
    _malloc_trim(0)
    return True
