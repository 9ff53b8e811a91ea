"""Deliver events to webhooks from a background thread through a bounded queue.

``notify`` only enqueues, so a slow or dead receiver never holds up the
daemon loop. Each delivery has a timeout and retries with doubling backoff
(429 and 5xx answers and network errors; other 4xx answers are final).
A failure is recorded through ``on_failure`` with the URL reduced to its
scheme and host: the rest of a chat webhook URL is its secret.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from ssop.core.config.schema import NotifySection, WebhookConfig
from ssop.core.notify.events import Notification
from ssop.core.notify.payloads import BUILDERS

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True)
class DeliveryFailure:
    """A notification that could not be delivered, safe to store and show."""

    event: str
    target: str  # scheme://host[:port], never the path or query
    attempts: int
    error: str


FailureHook = Callable[[DeliveryFailure], None]


def safe_target(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


class WebhookNotifier:
    """A Notifier that posts to every configured webhook that wants the event."""

    def __init__(
        self,
        settings: NotifySection,
        on_failure: FailureHook | None = None,
        client: httpx2.Client | None = None,
    ) -> None:
        self.hooks: Sequence[WebhookConfig] = tuple(settings.webhooks)
        self.retries = settings.retries
        self.backoff_s = settings.backoff_s
        self.on_failure = on_failure
        self.failures: deque[DeliveryFailure] = deque(maxlen=100)
        self.delivered = 0
        self.dropped = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=settings.queue_size)
        self._stop = threading.Event()
        self._client = client or httpx2.Client(trust_env=False, follow_redirects=False)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def notify(self, event: Notification) -> None:
        if not any(_wants(h, event) for h in self.hooks) or self._stop.is_set():
            return
        self._start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            self._failed(DeliveryFailure(event.kind.value, "queue", 0, "queue full"))

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the event being delivered; what is still queued is dropped."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            with contextlib.suppress(queue.Full):
                self._queue.put_nowait(_STOP)
            thread.join(timeout)
        self._client.close()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event was handled (tests, shutdown)."""
        done = threading.Event()

        def wait() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        return done.wait(timeout)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="ssop-webhooks", daemon=True
                )
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP or self._stop.is_set():
                    return
                assert isinstance(item, Notification)
                for hook in self.hooks:
                    if _wants(hook, item):
                        self._deliver(hook, item)
            finally:
                self._queue.task_done()

    def _deliver(self, hook: WebhookConfig, event: Notification) -> None:
        url = hook.url.get_secret_value()
        body = BUILDERS[hook.format](event)
        error, attempts = "", 0
        for attempt in range(self.retries + 1):
            attempts = attempt + 1
            error, final = self._post(url, body, hook.timeout)
            if not error:
                self.delivered += 1
                return
            if final or self._stop.wait(self.backoff_s * 2**attempt):
                break
        self._failed(
            DeliveryFailure(event.kind.value, safe_target(url), attempts, error)
        )

    def _post(
        self, url: str, body: dict[str, object], timeout: float
    ) -> tuple[str, bool]:
        """("", _) on success, else (error text, whether retrying is pointless)."""
        try:
            response = self._client.post(url, json=body, timeout=timeout)
        except httpx2.TimeoutException:
            return f"no answer within {timeout:g}s", False
        except httpx2.HTTPError as e:
            return f"{type(e).__name__}", False
        code = response.status_code
        if code < 300:
            return "", False
        return f"HTTP {code}", code < 500 and code != 429

    def _failed(self, failure: DeliveryFailure) -> None:
        self.failures.append(failure)
        log.warning(
            "webhook %s: %s not delivered after %d attempt(s): %s",
            failure.target,
            failure.event,
            failure.attempts,
            failure.error,
        )
        if self.on_failure is not None:
            try:
                self.on_failure(failure)
            except Exception:  # a broken recorder must not kill the sender
                log.exception("webhook: recording a failed delivery failed")


def _wants(hook: WebhookConfig, event: Notification) -> bool:
    return not hook.events or event.kind.value in hook.events
