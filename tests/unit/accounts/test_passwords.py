"""Password rules and the bcrypt cost used in production."""

from __future__ import annotations

import pytest

from ssop.core.accounts import passwords
from ssop.core.accounts.passwords import PasswordHasher, check_password
from ssop.core.config.schema import AuthSection
from ssop.core.errors import InvalidInput


def test_production_hashes_use_cost_12(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "_test_rounds", None)
    hasher = PasswordHasher(AuthSection().bcrypt_rounds)
    hashed = hasher.hash("pw")
    assert hashed.startswith("$2b$12$")
    assert hasher.verify("pw", hashed)


def test_a_lower_configured_cost_is_raised_to_12(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "_test_rounds", None)
    assert PasswordHasher(4).hash("pw").startswith("$2b$12$")


def test_the_suite_hashes_at_the_test_cost() -> None:
    assert PasswordHasher(12).hash("pw").startswith("$2b$04$")


@pytest.mark.parametrize(("password", "match"), [("", "empty"), ("x" * 73, "73 bytes")])
def test_unusable_passwords_are_refused(password: str, match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        check_password(password)


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    check_password("€" * 24)  # 72 bytes
    with pytest.raises(InvalidInput, match="75 bytes"):
        check_password("€" * 25)


def test_verify_is_false_for_wrong_or_unusable_passwords() -> None:
    hasher = PasswordHasher(12)
    hashed = hasher.hash("right")
    assert not hasher.verify("wrong", hashed)
    assert not hasher.verify("", hashed)
    assert not hasher.verify("right" + "x" * 80, hashed)
    assert not hasher.verify("right", "not-a-bcrypt-hash")
