"""FakeHostKeyScanner: answers host-key scans from a table and records them.

Shaped like ``ssop.core.transport.ssh.scan_host_key``: an address it does not
know is refused with the same kind of error and message prefix
(tests/contract/test_server_service.py checks both side by side).
"""

from __future__ import annotations

from ssop.core.errors import TransportError
from ssop.core.transport.base import HostKey


class FakeHostKeyScanner:
    def __init__(
        self, keys: dict[tuple[str, int], HostKey | Exception] | None = None
    ) -> None:
        self.keys: dict[tuple[str, int], HostKey | Exception] = dict(keys or {})
        self.calls: list[tuple[str, int, float]] = []

    def __call__(self, host: str, port: int, timeout: float) -> HostKey:
        self.calls.append((host, port, timeout))
        outcome = self.keys.get((host, port))
        if outcome is None:
            where = f"{host}:{port}"
            raise TransportError(f"server {where}: connection refused by {where}")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
