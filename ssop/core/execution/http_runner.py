"""Send a rendered ``HttpRequest`` from the ssop host and report it like a command.

The answer becomes a ``CommandResult``: the body (up to the output cap) is
stdout, the status line is stderr, and the exit code is 0 for a 2xx answer
and the HTTP status otherwise. Redirects are not followed (a template names
exactly one endpoint) and proxy variables are ignored, so the request goes
where the catalogue says. The whole exchange has one deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2

from ssop.core.actions.render import HttpRequest
from ssop.core.errors import CommandTimeout, TransportError
from ssop.core.transport.base import DEFAULT_OUTPUT_CAP, CommandResult
from ssop.core.transport.capture import READ_CHUNK, CappedBuffer

ClientFactory = Callable[[float], httpx2.Client]


def default_client(timeout_s: float) -> httpx2.Client:
    return httpx2.Client(
        timeout=timeout_s, follow_redirects=False, trust_env=False, http2=False
    )


class HttpRunner:
    """Runs HTTP actions; ``client_factory`` is the seam for tests."""

    def __init__(
        self,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        client_factory: ClientFactory = default_client,
    ) -> None:
        self.cap = output_cap
        self.client_factory = client_factory

    def run(self, request: HttpRequest) -> CommandResult:
        """Send ``request`` and read at most the output cap of its answer.

        Raises:
            CommandTimeout: no complete answer within ``request.timeout_s``.
            TransportError: the connection failed or the answer was not HTTP.
        """
        started = time.monotonic()
        deadline = started + request.timeout_s
        try:
            with self.client_factory(request.timeout_s) as client:
                return self._exchange(client, request, started, deadline)
        except httpx2.TimeoutException as e:
            raise _timeout(request) from e
        except httpx2.HTTPError as e:
            raise TransportError(
                f"http {request.method} {_where(request)}: {type(e).__name__}: {e}"
            ) from e

    def _exchange(
        self,
        client: httpx2.Client,
        request: HttpRequest,
        started: float,
        deadline: float,
    ) -> CommandResult:
        body = CappedBuffer(self.cap)
        with client.stream(
            request.method,
            request.url,
            headers=list(request.headers),
            content=request.body,
        ) as response:
            for chunk in response.iter_bytes(READ_CHUNK):
                if time.monotonic() > deadline:
                    raise _timeout(request)
                body.feed(chunk)
                if body.truncated:  # the status is known: the rest is not needed
                    break
            status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            code = 0 if 200 <= response.status_code < 300 else response.status_code
        return CommandResult(
            stdout=body.text(),
            stderr=status,
            exit_code=code,
            duration_s=time.monotonic() - started,
            stdout_truncated=body.truncated,
        )


def _where(request: HttpRequest) -> str:
    return request.url.split("?", 1)[0]


def _timeout(request: HttpRequest) -> CommandTimeout:
    return CommandTimeout(
        f"http {request.method} {_where(request)}: no answer within "
        f"{request.timeout_s:g}s"
    )
