"""Password rules and bcrypt hashing.

bcrypt only reads the first 72 bytes of a password, so longer ones are
refused rather than silently truncated.
"""

from __future__ import annotations

import bcrypt

from ssop.core.errors import InvalidInput

MAX_PASSWORD_BYTES = 72
MIN_ROUNDS = 12

# Test hook: the test suite sets this to 4 (12 rounds cost ~250 ms a hash).
# Nothing in ssop sets it and no setting reaches it; settings.auth.bcrypt_rounds
# itself cannot go below 12.
_test_rounds: int | None = None


def check_password(password: str) -> bytes:
    """The password as bytes, after checking it is usable.

    Raises:
        InvalidInput: the password is empty or longer than 72 bytes in UTF-8.
    """
    raw = password.encode()
    if not raw:
        raise InvalidInput("the password must not be empty")
    if len(raw) > MAX_PASSWORD_BYTES:
        raise InvalidInput(
            f"the password is {len(raw)} bytes long; at most {MAX_PASSWORD_BYTES} "
            "bytes (UTF-8) are allowed"
        )
    return raw


def check_new_password(password: str, min_length: int) -> None:
    """Refuse a new password shorter than ``min_length`` characters.

    Raises:
        InvalidInput: too short (or unusable, see ``check_password``).
    """
    check_password(password)
    if len(password) < min_length:
        raise InvalidInput(
            f"the password has {len(password)} characters; at least {min_length} "
            "are needed",
            hint="auth.min_password_length sets the minimum",
        )


class PasswordHasher:
    """Hashes and verifies passwords at a fixed bcrypt cost."""

    def __init__(self, rounds: int) -> None:
        self.rounds = max(rounds, MIN_ROUNDS)
        self._dummy: bytes | None = None

    def hash(self, password: str) -> str:
        """Raises InvalidInput for an empty or over-long password."""
        raw = check_password(password)
        rounds = _test_rounds if _test_rounds is not None else self.rounds
        return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode()

    def verify(self, password: str, hashed: str) -> bool:
        raw = password.encode()
        if not raw or len(raw) > MAX_PASSWORD_BYTES:
            return False
        try:
            return bcrypt.checkpw(raw, hashed.encode())
        except ValueError:
            return False

    def burn(self, password: str) -> None:
        """Spend as long as a real check, so unknown users answer no faster."""
        if self._dummy is None:
            self._dummy = self.hash("not-a-real-password").encode()
        self.verify(password, self._dummy.decode())
