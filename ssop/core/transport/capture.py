"""Keep the first N bytes of a command's output stream and drop the rest.

Adapters feed chunks as they read them, so a command printing gigabytes
costs at most the cap in memory.
"""

from __future__ import annotations

import codecs

READ_CHUNK = 64 * 1024


class CappedBuffer:
    """Collects bytes up to ``cap``; remembers whether anything was dropped."""

    def __init__(self, cap: int) -> None:
        if cap < 0:
            raise ValueError("cap must be >= 0")
        self._cap = cap
        self._data = bytearray()
        self.truncated = False

    def feed(self, chunk: bytes) -> None:
        room = self._cap - len(self._data)
        if len(chunk) > room:
            self.truncated = True
            chunk = chunk[:room]
        self._data += chunk

    def text(self) -> str:
        """The kept bytes as UTF-8, undecodable bytes replaced.

        When the cap cut a multi-byte character in half, the half is left
        out rather than shown as a replacement character.
        """
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return decoder.decode(bytes(self._data), final=not self.truncated)
