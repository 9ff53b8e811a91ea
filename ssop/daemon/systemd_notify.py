"""Telling systemd how the daemon is doing (sd_notify protocol).

READY=1 after bootstrap, STATUS=... after each cycle, WATCHDOG=1 at half the
watchdog period, STOPPING=1 on shutdown. Without systemd nothing is sent.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from ssop.core.clock import Clock
from ssop.core.config.loader import SystemdEnv

log = logging.getLogger(__name__)


class SystemdNotifier(Protocol):
    """What the daemon tells systemd: ready, status, watchdog pings, stopping."""

    ping_every_s: float | None
    """How often ``keepalive`` wants to be called (None: no watchdog)."""

    def ready(self) -> None: ...

    def status(self, text: str) -> None: ...

    def keepalive(self) -> None:
        """Ping the watchdog if one is due; cheap enough to call often."""
        ...

    def stopping(self) -> None: ...


class Sender(Protocol):
    def notify(self, state: str) -> None: ...


class NoSystemd:
    """Not started by systemd (no NOTIFY_SOCKET): nothing to tell."""

    ping_every_s: float | None = None

    def ready(self) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def keepalive(self) -> None:
        pass

    def stopping(self) -> None:
        pass


class SdNotify:
    """systemd's sd_notify through ``sender``, with the watchdog pings rate-limited."""

    def __init__(self, clock: Clock, watchdog_usec: int | None, sender: Sender) -> None:
        self.clock = clock
        self.sender = sender
        self.ping_every_s = watchdog_usec / 2_000_000 if watchdog_usec else None
        self._last_ping: float | None = None
        # Crawl workers may poll should_stop() (and so ping) from many threads.
        self._lock = threading.Lock()

    def ready(self) -> None:
        self.sender.notify("READY=1")

    def status(self, text: str) -> None:
        # One datagram per message: a newline would start a second assignment.
        self.sender.notify("STATUS=" + " ".join(text.split()))

    def keepalive(self) -> None:
        if self.ping_every_s is None:
            return
        with self._lock:
            now = self.clock.monotonic()
            last = self._last_ping
            if last is not None and now - last < self.ping_every_s:
                return
            self._last_ping = now
        self.sender.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.sender.notify("STOPPING=1")


def notifier_for(env: SystemdEnv, clock: Clock) -> SystemdNotifier:
    """A systemd notifier when NOTIFY_SOCKET is set, else one that does nothing."""
    if env.notify_socket is None:
        return NoSystemd()
    import sdnotify

    log.info(
        "daemon: systemd notify socket set, watchdog %s",
        f"every {env.watchdog_usec / 2e6:.1f}s" if env.watchdog_usec else "off",
    )
    return SdNotify(clock, env.watchdog_usec, sdnotify.SystemdNotifier())
