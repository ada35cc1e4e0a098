"""Secrets at rest (channel credentials, webhook signing keys): Fernet (AES-128-CBC + HMAC-SHA256).

The keys come from ``TINGJIAN_ENCRYPTION_KEYS`` (comma-separated Fernet keys: the first
encrypts, all decrypt, so a key can be rotated with ``tingjian channels rekey``); settings
refuse to start without them when DEBUG is off, and with DEBUG on generate one once into
``var/encryption_key``, like the secret key. It is deliberately *not* derived from SECRET_KEY: rotating the session secret must not
make every stored credential unreadable. It sits outside the apps so any app may seal.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with a key we no longer have."""


def _keys() -> list[bytes]:
    return [k.encode() for k in settings.TINGJIAN_ENCRYPTION_KEYS]


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(k) for k in _keys()])


def seal(values: dict[str, Any]) -> str:
    if not values:
        return ""
    return _fernet().encrypt(json.dumps(values, ensure_ascii=False).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        data: dict[str, Any] = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise SecretsUnreadable("the channel's secrets cannot be decrypted with the configured keys") from exc
    return data


def rotate(token: str) -> str:
    """Re-encrypt with the first key (after a new key was put first in the list)."""
    return _fernet().rotate(token.encode()).decode() if token else ""
