"""Calls to Meta's Graph API for one Page: the client that carries the Page access token,
and the API's errors in plain words for the agent, with whether trying later can help.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import httpx
from django.utils.translation import gettext as _

from ..base import ChannelConfig, DeliveryError
from ..platform_http import api_client, as_dict, compact_json, json_object

RATE_LIMITED = frozenset({4, 17, 32, 613})
TRANSIENT = frozenset({1, 2, 1200})
OUTSIDE_WINDOW = frozenset({2018278})


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def refusal(response: httpx.Response, platform: str) -> DeliveryError:
    """A Graph API error in plain words, and whether trying later can help."""
    error = as_dict(json_object(response).get("error"))
    code, subcode, status = _int(error.get("code")), _int(error.get("error_subcode")), response.status_code
    said = str(error.get("message") or "").lower()
    names = {"platform": platform}
    if code == 190 or status == 401:
        return DeliveryError(
            _("Meta no longer accepts the Page's access token (it expired or was revoked). An administrator must connect the Page again and update the channel."),
            retry=False, code="token_expired",
        )
    if code in RATE_LIMITED or status == 429:
        return DeliveryError(_("%(platform)s is limiting how fast we may send right now; it will be tried again.") % names, retry=True, code="rate_limited")
    if subcode in OUTSIDE_WINDOW or (code == 10 and "outside of allowed window" in said):
        return DeliveryError(
            _("%(platform)s no longer allows a reply in this conversation because the customer's last message is too old. Reach the customer another way, such as a phone call or an email.") % names,
            retry=False, code="window_closed",
        )
    if code == 551:
        return DeliveryError(
            _("This person cannot be reached on %(platform)s right now (they may have blocked the Page or turned its messages off). Reach them another way.") % names,
            retry=False, code="unavailable",
        )
    if code == 10900:
        return DeliveryError(
            _("This comment already has a private reply, and only one is allowed. Answer publicly under the comment instead."),
            retry=False, code="already_replied",
        )
    if code == 100 and subcode == 2018001:
        return DeliveryError(_("%(platform)s does not know this customer for this Page.") % names, retry=False, code="not_found")
    if code == 10 or 200 <= code <= 299:
        return DeliveryError(
            _("The Page's access token lacks a permission this needs. An administrator must check the Meta app's permissions."),
            retry=False, code="permission",
        )
    if code in TRANSIENT or error.get("is_transient") or status >= 500:
        return DeliveryError(_("%(platform)s is having trouble right now; it will be tried again.") % names, retry=True, code="platform")
    return DeliveryError(
        _("%(platform)s refused the message (error %(code)s).") % {**names, "code": code or status},
        retry=False, code=f"graph_{code or status}",
    )


def unreachable(platform: str) -> DeliveryError:
    return DeliveryError(_("Could not reach %(platform)s; it will be tried again.") % {"platform": platform}, retry=True, code="network")


def page_client(channel: ChannelConfig, base_setting: str) -> httpx.Client:
    """A Graph API client with the Page access token (``base_setting``: the API base's setting)."""
    token, app_secret = channel.secret("page_access_token"), channel.secret("app_secret")
    # appsecret_proof ties the token to our app, so a leaked token alone is not enough
    # (when the app requires it); it is a hash, not the secret.
    params = {"appsecret_proof": hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()} if app_secret else {}
    return api_client(channel, base_setting, token, params=params)


def post(client: httpx.Client, path: str, payload: Mapping[str, Any], platform: str) -> dict[str, Any]:
    """POST ``payload`` as JSON; the answer's JSON, or the refusal raised."""
    try:
        response = client.post(path, content=compact_json(payload), headers={"Content-Type": "application/json"})
    except httpx.TransportError as exc:
        raise unreachable(platform) from exc
    if response.status_code != 200:
        raise refusal(response, platform)
    return json_object(response)
