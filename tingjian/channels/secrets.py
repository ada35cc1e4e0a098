"""Channel secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) from the cryptography package.

The key comes from ``TINGJIAN_ENCRYPTION_KEYS`` (comma-separated Fernet keys: the first
encrypts, all decrypt, so a key can be rotated with ``tingjian channels rekey``). With
DEBUG on and none set, a key is generated once into ``var/encryption_key``, like the secret
key. It is deliberately *not* derived from SECRET_KEY: rotating the session secret must not
make every channel's credentials unreadable.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretsUnreadable(Exception):
    """The stored secrets were encrypted with a key we no longer have."""


def _keys() -> list[bytes]:
    configured = os.environ.get("TINGJIAN_ENCRYPTION_KEYS", "")
    keys = [k.strip().encode() for k in configured.split(",") if k.strip()]
    if keys:
        return keys
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            "TINGJIAN_ENCRYPTION_KEYS must be set when TINGJIAN_DEBUG is off "
            "(generate one: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    path = settings.VAR_DIR / "encryption_key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return [path.read_bytes().strip()]


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
