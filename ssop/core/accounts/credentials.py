"""Bearer credentials: random session and API tokens, and how they are stored.

Only the SHA-256 of a token reaches the database; the token itself is shown
once (API tokens) or kept in the 0600 session file (logins).
"""

from __future__ import annotations

import hashlib
import re
import secrets

SESSION_PREFIX = "ssops_"
API_TOKEN_PREFIX = "ssopt_"
# Lower-case only: MariaDB compares names case-insensitively, SQLite does not.
NAME_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$")


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_valid_name(name: str) -> bool:
    return bool(NAME_RE.match(name))
