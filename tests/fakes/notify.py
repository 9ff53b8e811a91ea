"""A stand-in for sdnotify's socket sender that keeps what it was told."""

from __future__ import annotations


class RecordingSender:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def notify(self, state: str) -> None:
        self.messages.append(state)

    def count(self, prefix: str) -> int:
        return sum(1 for m in self.messages if m.startswith(prefix))
