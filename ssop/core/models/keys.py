"""Stable keys for "the same change": what the params_key, open_key and
spec_hash columns hold (server + action + parameters, and the spec)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def params_key(params: Mapping[str, str]) -> str:
    """SHA-256 of the parameters as sorted, compact JSON: equal values, equal key."""
    text = json.dumps(dict(params), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def open_key(server: str, action: str, key: str) -> str:
    return f"{server}|{action}|{key}"


def spec_hash(spec_dict: Mapping[str, Any]) -> str:
    """Hash of an action spec: a request is not run once its action changed."""
    text = json.dumps(spec_dict, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
