"""WeChat's API as the adapter calls it: ``WeChatApi`` (one HTTP client and one access token
per channel), WeChat's errcodes in plain words for the agent, and answers read within limits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from ..base import ChannelConfig, DeliveryError
from ..platform_http import read_limited

# A cached token this close to its end is replaced, so it cannot expire mid-send.
TOKEN_MARGIN = timedelta(minutes=5)
# errcodes meaning "this access token is no longer good": fetch a new one and try once more.
STALE_TOKEN = frozenset({40001, 40014, 42001})


def _refusal(code: int) -> DeliveryError:
    """WeChat's errcode in plain words, and whether trying later can help."""
    words: dict[int, tuple[str, bool]] = {
        45015: (_("WeChat only lets an official account answer within 48 hours after the customer's last message, and that time has passed. Reach the customer another way, such as a phone call or an email."), False),
        43004: (_("The customer no longer follows this official account, so WeChat will not deliver the message."), False),
        45047: (_("WeChat refused the message: too many were sent to this customer since they last wrote. Wait until they write again, or reach them another way."), False),
        48001: (_("This official account may not use WeChat's customer-service messages. An administrator must enable it on the WeChat platform."), False),
        40003: (_("WeChat does not know this customer for this official account."), False),
        40164: (_("WeChat refused the call because this server's IP address is not on the official account's whitelist. An administrator must add it on the WeChat platform."), False),
        45009: (_("This official account has used up today's WeChat API calls; it will be tried again later."), True),
        -1: (_("WeChat is busy; it will be tried again."), True),
    }
    credentials = _("WeChat refused the official account's credentials (app ID or app secret). An administrator must check the channel's settings.")
    for bad in (40001, 40013, 40014, 40125, 42001):
        words[bad] = (credentials, False)
    message, retry = words.get(code, (_("WeChat refused the request (error code %(code)s).") % {"code": code}, False))
    return DeliveryError(message, retry=retry, code=str(code))


def _errcode(data: Mapping[str, Any]) -> int:
    try:
        return int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


def _unreachable() -> DeliveryError:
    return DeliveryError(_("Could not reach WeChat; it will be tried again."), retry=True, code="network")


def media_type(response: httpx.Response) -> str:
    """The answer's media type without its parameters; "" when it names none."""
    return response.headers.get("content-type", "").split(";")[0].strip()


class WeChatApi:
    """Calls to WeChat's API for one channel: one HTTP client and one access token, reused from
    the channel's state while it has time left, else fetched, and fetched again once when
    WeChat calls it stale. A fetched token is in ``state_changes`` for the caller to keep."""

    def __init__(self, channel: ChannelConfig) -> None:
        self.channel = channel
        self.base = channel.api_base.rstrip("/")
        self.client = httpx.Client(timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT)
        self.state_changes: dict[str, Any] = {}
        self._token = self._cached_token()

    def __enter__(self) -> WeChatApi:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.client.close()

    def _cached_token(self) -> str:
        token = str(self.channel.state.get("access_token") or "")
        try:
            expires_at = datetime.fromisoformat(str(self.channel.state.get("access_token_expires_at")))
        except ValueError:
            return ""
        if expires_at.tzinfo is None or expires_at - datetime.now(UTC) <= TOKEN_MARGIN:
            return ""
        return token

    def _fetch_token(self) -> str:
        secret = {"appid": str(self.channel.setting("app_id")), "secret": self.channel.secret("app_secret")}
        data = self.read_json(self.open("GET", self.base + "/cgi-bin/token", {"grant_type": "client_credential", **secret}))
        if code := _errcode(data):
            raise _refusal(code)
        token = str(data.get("access_token") or "")
        if not token:
            raise DeliveryError(_("WeChat gave no access token; it will be tried again."), retry=True, code="no_token")
        try:
            lifetime = timedelta(seconds=int(data.get("expires_in") or 7200))
        except (TypeError, ValueError):
            lifetime = timedelta(seconds=7200)
        expires_at = datetime.now(UTC) + lifetime
        self.state_changes = {"access_token": token, "access_token_expires_at": expires_at.isoformat()}
        return token

    def open(self, method: str, url: str, params: Mapping[str, str], *, body: bytes | None = None) -> httpx.Response:
        """Start a request and read its headers; the caller reads (and so closes) the body."""
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        request = self.client.build_request(method, url, params=params, content=body, headers=headers)
        try:
            response = self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise _unreachable() from exc
        if response.status_code >= 400:
            response.close()
            retry = response.status_code >= 500 or response.status_code == 429
            message = _("WeChat answered with HTTP error %(status)s.") % {"status": response.status_code}
            raise DeliveryError(message, retry=retry, code=f"http_{response.status_code}")
        return response

    def read(self, response: httpx.Response, max_bytes: int) -> bytes:
        """The body, refused past ``max_bytes`` (``read_limited``); closes the response."""
        try:
            return read_limited(response, max_bytes)
        except httpx.TransportError as exc:
            raise _unreachable() from exc

    def read_json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = json.loads(self.read(response, 1024 * 1024))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise DeliveryError(_("WeChat's answer could not be read; it will be tried again."), retry=True, code="unreadable")
        return data

    def authorised(
        self, method: str, path: str, params: Mapping[str, str], *, body: bytes | None = None
    ) -> tuple[httpx.Response, dict[str, Any] | None]:
        """Call with the access token. A JSON answer comes back read, its errcode raised as a
        DeliveryError; any other answer comes back unread (a media file)."""
        for attempt in (1, 2):
            token = self._token = self._token or self._fetch_token()
            response = self.open(method, self.base + path, {"access_token": token, **params}, body=body)
            # WeChat labels some JSON answers text/plain.
            if media_type(response) not in ("application/json", "text/plain"):
                return response, None
            data = self.read_json(response)
            code = _errcode(data)
            if code in STALE_TOKEN and attempt == 1:
                self._token = ""
                continue
            if code:
                raise _refusal(code)
            return response, data
        raise AssertionError("unreachable: the second attempt returns or raises")

    def call(self, method: str, path: str, params: Mapping[str, str], *, body: bytes | None = None) -> dict[str, Any]:
        response, data = self.authorised(method, path, params, body=body)
        return data if data is not None else self.read_json(response)
