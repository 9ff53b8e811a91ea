"""Between steps the daemon hands freed heap pages back to the OS."""

from __future__ import annotations

import subprocess
import sys

# Fills the heap with 1 KB blocks (malloc, not Python's small-object pools),
# frees all but every 64th, which pins the heap's top, and prints RSS in KB
# before and after the release.
PROGRAM = """
from ssop.daemon.memory import release_freed_memory

def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

blocks = [bytes(1024) for _ in range(200_000)]
kept = blocks[::64]
del blocks
before = rss_kb()
released = release_freed_memory()
print(released, before, rss_kb())
"""


def test_freed_heap_memory_goes_back_to_the_os() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    released, before, after = done.stdout.split()
    assert released == "True"  # glibc: the test machines and the supported targets
    assert int(before) - int(after) > 100_000  # most of the ~200 MB freed


# One 4 MB block is freed (which makes an untuned glibc keep later large
# blocks on the heap), ten 300 KB blocks are taken, then eight threads
# allocate at once. malloc_info lists one <heap> per arena and counts the
# mmapped blocks.
TUNING_PROGRAM = """
import ctypes, re, sys, tempfile, threading
from ssop.daemon.memory import tune_malloc

tuned = tune_malloc() if sys.argv[1] == "tune" else None
big = bytes(4_000_000)
del big
outputs = [bytes(300_000) for _ in range(10)]
barrier = threading.Barrier(8)

def allocate():
    barrier.wait()
    held = [bytes(4096) for _ in range(2000)]
    barrier.wait()

threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile("r", suffix=".xml") as out:
    stream = ctypes.c_void_p(libc.fopen(out.name.encode(), b"w"))
    libc.malloc_info(0, stream)
    libc.fclose(stream)
    info = out.read()
mapped = re.findall(r'<total type="mmap" count="(\\d+)"', info)[-1]
print(tuned, info.count("<heap nr="), mapped)
"""


def _malloc_state(mode: str) -> tuple[str, int, int]:
    done = subprocess.run(
        [sys.executable, "-c", TUNING_PROGRAM, mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    tuned, heaps, mapped = done.stdout.split()
    return tuned, int(heaps), int(mapped)


def test_the_daemon_caps_arenas_and_maps_large_blocks_on_their_own() -> None:
    tuned, heaps, mapped = _malloc_state("tune")
    assert (tuned, heaps) == ("True", 2)
    assert mapped >= 10  # the outputs, each unmapped when freed
    _, untuned_heaps, untuned_mapped = _malloc_state("leave")
    assert untuned_heaps > 2  # without the cap, threads each get an arena
    assert untuned_mapped < 10  # and large blocks stay on the heap
