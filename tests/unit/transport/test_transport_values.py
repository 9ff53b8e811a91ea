"""Command validation and output capping."""

from __future__ import annotations

import pytest

from ssop.core.errors import InvalidInput
from ssop.core.transport.base import Command
from ssop.core.transport.capture import CappedBuffer


def test_as_shell_quotes_every_argument() -> None:
    assert (
        Command.of("printf", "%s", "a; rm -rf /").as_shell()
        == "printf %s 'a; rm -rf /'"
    )


@pytest.mark.parametrize("argv", [(), ("echo", "a\x00b")])
def test_command_refuses_empty_argv_and_nul_bytes(argv: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput):
        Command(argv)


def test_capped_buffer_keeps_the_first_bytes_across_chunks() -> None:
    buffer = CappedBuffer(5)
    for chunk in (b"abc", b"def", b"ghi"):
        buffer.feed(chunk)

    assert (buffer.text(), buffer.truncated) == ("abcde", True)


def test_capped_buffer_exactly_full_is_not_truncated() -> None:
    buffer = CappedBuffer(3)
    buffer.feed(b"abc")

    assert (buffer.text(), buffer.truncated) == ("abc", False)


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    buffer = CappedBuffer(10)
    buffer.feed(b"ok\xff")

    assert buffer.text() == "ok\ufffd"
