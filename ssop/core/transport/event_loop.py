"""One asyncio event loop on a background thread, shared by the process.

Async adapters (``ssh_async.AsyncSshTransport``) keep their connections on
this loop; synchronous callers hand it a coroutine and wait for the result.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

T = TypeVar("T")

# Helper threads for the blocking bits asyncssh hands to the loop's executor
# (building connection options, signing with a key): a fixed few, however
# many connections there are.
EXECUTOR_THREADS = 2


class LoopStalled(Exception):
    """The loop gave no answer within the caller's bound."""


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(
            ThreadPoolExecutor(EXECUTOR_THREADS, thread_name_prefix="ssop-io-helper")
        )
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="ssop-io", daemon=True
        )
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, T], limit: float) -> T:
        """Run ``coro`` on the loop and wait at most ``limit`` seconds for it.

        The coroutine enforces its own deadlines; ``limit`` only stops a
        caller from waiting forever on a loop that is wedged.

        Raises:
            LoopStalled: no result within ``limit``; the coroutine is cancelled.
            Whatever the coroutine raises.
        """
        return self.wait(self.start(coro), limit)

    def start(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule ``coro`` on the loop; ``wait`` for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def wait(self, future: Future[T], limit: float) -> T:
        """``future``'s result within ``limit`` seconds (see ``call``).

        A KeyboardInterrupt while waiting leaves the coroutine running: the
        caller may still ask it to wind down and wait again.
        """
        try:
            return future.result(limit)
        except FutureTimeout as e:
            future.cancel()
            raise LoopStalled from e


_shared: LoopThread | None = None
_shared_pid = 0
_lock = threading.Lock()


def shared_loop() -> LoopThread:
    """The process's loop, started on first use (and anew in a forked child)."""
    global _shared, _shared_pid
    with _lock:
        if _shared is None or _shared_pid != os.getpid():
            _shared, _shared_pid = LoopThread(), os.getpid()
        return _shared
