"""The HTTP pieces the platform adapters (WeChat, LINE, Messenger) share: a client for a
platform's API, a header looked up whatever its case, JSON read from and written for the
platforms, and a download that stops at a byte limit.

What each platform's answers *mean* (its error codes, its words for the agent) stays in
its own adapter; only what is the same for all of them is here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from .base import ChannelConfig, DeliveryError


def api_client(
    channel: ChannelConfig, base_setting: str, token: str, *, params: Mapping[str, str] | None = None
) -> httpx.Client:
    """A client for a platform's API: the channel's API base (else the ``base_setting``
    setting), our outbound timeout, and ``token`` as a Bearer header."""
    # The token goes in a header, never in the URL: httpx logs request URLs at INFO.
    return httpx.Client(
        base_url=channel.api_base or str(getattr(settings, base_setting, "")),
        timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT, headers=bearer(token), params=params,
    )


def download_client() -> httpx.Client:
    """A client for fetching a file from wherever a platform points (redirects followed)."""
    return httpx.Client(timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT, follow_redirects=True)


def bearer(token: str) -> dict[str, str]:
    """The Authorization header that carries ``token``."""
    return {"Authorization": f"Bearer {token}"}


def header(headers: Mapping[str, str], name: str) -> str:
    """The value of the header ``name`` whatever its case; "" when there is none."""
    # Django's request.headers is case-insensitive; a plain dict from a test or a task is not.
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def as_dict(value: Any) -> dict[str, Any]:
    """A JSON value that should be an object: itself, or {} when it is anything else."""
    return value if isinstance(value, dict) else {}


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response's body as a JSON object; {} when it is not one."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return as_dict(data)


def compact_json(data: Any, *, sort_keys: bool = False) -> bytes:
    """``data`` as compact UTF-8 JSON (no spaces, characters unescaped)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode()


def read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to pass ``max_bytes``; closes the response.

    A network error while reading is left to the caller, which knows which platform it
    could not reach.
    """
    too_large = DeliveryError(
        _("The file is larger than %(limit)s MB, the most Tingjian downloads, so it was not fetched.")
        % {"limit": round(max_bytes / (1024 * 1024), 1)},
        retry=False, code="too_large",
    )
    chunks: list[bytes] = []
    size = 0
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)
