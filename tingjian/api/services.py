"""API tokens: issuing and revoking them.

Responsible for: minting a token, storing only its hash, auditing issue and revocation.
Must never: store, log or return the secret after ``create_token`` hands it back once.

A token is ``tj_<prefix>_<secret>``: the 8-character prefix is public, the secret is 32
random bytes. With that much entropy a plain SHA-256 is the right hash (a slow password
hash buys nothing against brute force and costs every request).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit

from .models import ApiToken

SCHEME = "tj_"
PREFIX_LENGTH = 8
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
TOKEN_FORMAT = re.compile(r"^(tj_[a-z0-9]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def _new_prefix() -> str:
    while True:
        prefix = SCHEME + "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiToken.objects.filter(prefix=prefix).exists():
            return prefix


def create_token(user: Any, *, name: str = "", by: Any | None) -> IssuedToken:
    """Issue a token for ``user``; the plaintext in the result is the only copy there is."""
    if not user.is_active:
        raise ValidationError({"user": _("An inactive user cannot hold an API token.")})
    name = (name or "").strip()
    if len(name) > 100:
        raise ValidationError({"name": _("At most %(n)s characters.") % {"n": 100}})
    with transaction.atomic():
        prefix = _new_prefix()
        plaintext = f"{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, secret_hash=hash_token(plaintext),
            created_at=clock.now(),
        )
        audit.record(
            "api_token.created", actor=by, object_type="api_token", object_id=token.pk,
            summary=f"API token {prefix} issued to {user.get_username()}",
            after={"prefix": prefix, "user": user.get_username(), "name": name},
        )
    return IssuedToken(token=token, plaintext=plaintext)


def revoke_token(token: ApiToken, *, by: Any | None) -> ApiToken:
    """Revoke a token at once; revoking twice changes nothing and records nothing."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = clock.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            "api_token.revoked", actor=by, object_type="api_token", object_id=locked.pk,
            summary=f"API token {locked.prefix} of {locked.user.get_username()} revoked",
            after={"prefix": locked.prefix},
        )
    return locked


# last_used_at is a hint for humans ("is this token still in use?"), not an access log:
# writing it at most once a minute keeps a busy client from turning reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_DUMMY_HASH = "0" * 64


def authenticate_token(plaintext: str) -> Any | None:
    """The active user behind a presented token, or None for anything else.

    Malformed, unknown, revoked tokens and inactive users all give None: the caller
    answers 401 without saying which.
    """
    match = TOKEN_FORMAT.match(plaintext or "")
    if match is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=match.group(1)).first()
    expected = token.secret_hash if token is not None else _DUMMY_HASH
    if not hmac.compare_digest(expected, hash_token(plaintext)) or token is None:
        return None
    if token.revoked_at is not None or not token.user.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
