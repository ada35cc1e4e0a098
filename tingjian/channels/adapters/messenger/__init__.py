"""Facebook Messenger and Instagram Direct, and comments on the Page's and its Instagram
account's posts: one Meta app, one Page (its linked Instagram account arrives as object
"instagram" and is answered with the same Page access token).

Meta signs the raw body with the app secret (``X-Hub-Signature-256``). A delivery batches
entries; every messaging item and every feed or comments change is stored as one event,
keyed by the platform's id (a message mid, a postback mid, a comment id) or, for receipts
and the like that carry none, by a hash of their content, which a redelivery repeats.

Replies: Meta allows ordinary replies ("RESPONSE") within 24 hours after the customer's
last message and, tagged HUMAN_AGENT, a person's replies until 7 days after it; then only
another channel reaches the customer. A public reply goes under the comment; a private
reply to a comment (one, within 7 days) goes to its author's inbox.

The Page access token travels in the Authorization header, never in the URL: httpx logs
request URLs at INFO, and no secret may reach a log.

The parts: ``events`` (a delivery split into events, and what each means) and ``graph`` (the
Graph API client and its errors in plain words); here, the adapter and the reply windows.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import ClassVar
from urllib.parse import quote

import httpx
from django.utils.translation import gettext as _

from tingjian import clock

from ..base import (
    Accepted,
    Adapter,
    ChannelConfig,
    Contact,
    DeliveryError,
    IncomingEvent,
    MalformedPayload,
    OutgoingMessage,
    ParsedEvent,
    Profile,
    Recipient,
    SendResult,
    SignatureInvalid,
)
from ..platform_http import download_client, header, json_object, read_limited
from . import graph
from .events import platform_name, read_change, read_messaging, signature, split_delivery

__all__ = [
    "ADAPTER", "COMMENT_LIMIT", "HUMAN_AGENT_WINDOW", "RESPONSE_WINDOW", "TEXT_LIMIT", "MessengerAdapter",
    "signature", "split_text",
]

RESPONSE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
TEXT_LIMIT = 2000  # characters in one Messenger / Instagram message
COMMENT_LIMIT = {"facebook": 8000, "instagram": 2200}
# Meta ids are digits (a Facebook comment id: two numbers joined by "_"); nothing else may
# become part of an API path.
_GRAPH_ID = re.compile(r"[0-9A-Za-z_]{1,128}")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a line or word end if near."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n"), window.rfind(" "), window.rfind("。"))
        cut = cut + 1 if cut >= limit // 2 else limit
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


class MessengerAdapter(Adapter):
    kind: ClassVar[str] = "messenger"
    label: ClassVar[str] = "Facebook Messenger / Instagram"
    config_keys: ClassVar[tuple[str, ...]] = ("page_id",)
    secret_keys: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "page_access_token")
    required_keys: ClassVar[tuple[str, ...]] = ("app_secret", "verify_token", "page_access_token")
    api_base_setting: ClassVar[str] = "TINGJIAN_GRAPH_API_BASE"

    def verify_url(self, channel: ChannelConfig, query: Mapping[str, str]) -> bytes:
        expected, given = channel.secret("verify_token"), str(query.get("hub.verify_token") or "")
        if query.get("hub.mode") != "subscribe" or not expected or not given:
            raise SignatureInvalid("not a subscribe check, or no verify token")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise SignatureInvalid("hub.verify_token does not match")
        challenge = str(query.get("hub.challenge") or "")
        # Echo only the plain token Meta sends, never arbitrary content.
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,256}", challenge):
            raise SignatureInvalid("hub.challenge missing or not a plain token")
        return challenge.encode()

    def accept(
        self, channel: ChannelConfig, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Accepted:
        secret, given = channel.secret("app_secret"), header(headers, "X-Hub-Signature-256").strip()
        if not secret or not given:
            raise SignatureInvalid("X-Hub-Signature-256 or app secret missing")
        if not hmac.compare_digest(signature(secret, body).encode(), given.lower().encode()):
            raise SignatureInvalid("X-Hub-Signature-256 does not match the body")
        try:
            delivery = json.loads(body)
        except ValueError as exc:
            raise MalformedPayload("Meta webhook body is not JSON") from exc
        if not isinstance(delivery, dict) or not isinstance(delivery.get("entry"), list):
            raise MalformedPayload('Meta webhook body has no "entry" list')
        obj = delivery.get("object")
        if obj not in ("page", "instagram"):
            raise MalformedPayload(f"Meta webhook for object {str(obj)[:40]!r}; only page and instagram are handled")
        return Accepted(events=split_delivery(delivery, obj), response_body=b"EVENT_RECEIVED")

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            data = json.loads(event.payload)
        except ValueError as exc:
            raise MalformedPayload("stored Meta event is not JSON") from exc
        if not isinstance(data, dict):
            raise MalformedPayload("stored Meta event is not an object")
        platform = "instagram" if data.get("object") == "instagram" else "messenger"
        own_id = str(data.get("entry_id") or "")
        if isinstance(data.get("messaging"), dict):
            return [read_messaging(data["messaging"], platform, own_id)]
        if isinstance(data.get("change"), dict):
            return [read_change(data["change"], platform, own_id, data.get("entry_time"))]
        raise MalformedPayload("stored Meta event has neither a messaging item nor a change")

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        platform = platform_name(recipient.kind)
        if message.attachments:
            raise DeliveryError(
                _("Replies on %(platform)s can carry text only. Remove the file, or send it another way.") % {"platform": platform},
                retry=False, code="attachments_unsupported",
            )
        if not message.text.strip():
            raise DeliveryError(_("The reply is empty, so there is nothing to send."), retry=False, code="empty")
        if not _GRAPH_ID.fullmatch(recipient.handle):
            raise DeliveryError(_("This reply has no valid Meta recipient id."), retry=False, code="bad_recipient")
        if not channel.secret("page_access_token"):
            raise DeliveryError(
                _("This channel has no Page access token. An administrator must add it to the channel."),
                retry=False, code="token_expired",
            )
        with graph.page_client(channel, self.api_base_setting) as client:
            if recipient.public:
                return self._comment(client, recipient, message.text)
            if recipient.kind == "comment":
                return self._private_reply(client, recipient, message.text)
            return self._send_api(client, recipient, message.text)

    def _send_api(self, client: httpx.Client, recipient: Recipient, text: str) -> SendResult:
        platform, now = platform_name(recipient.kind), clock.now()
        age = now - recipient.last_inbound_at if recipient.last_inbound_at else None
        if age is not None and age >= HUMAN_AGENT_WINDOW:
            raise DeliveryError(self.reply_window_problem(recipient, now), retry=False, code="window_closed")
        tagged = age is not None and age >= RESPONSE_WINDOW
        first = ""
        for piece in split_text(text):
            payload = {"recipient": {"id": recipient.handle}, "message": {"text": piece}}
            try:
                data = graph.post(client, "/me/messages", {**payload, **_messaging_type(tagged)}, platform)
            except DeliveryError as exc:
                # Meta's clock decides: at the 24-hour edge a RESPONSE can arrive just too
                # late, while a person may still answer for days.
                if exc.code != "window_closed" or tagged or age is None:
                    raise
                tagged = True
                data = graph.post(client, "/me/messages", {**payload, **_messaging_type(True)}, platform)
            first = first or str(data.get("message_id") or "")
        return SendResult(platform_message_id=first, mode="send_api")

    def _comment(self, client: httpx.Client, recipient: Recipient, text: str) -> SendResult:
        # The outbound task names a public target only "comment"; a Facebook comment id is
        # "<post>_<comment>", an Instagram one a single number.
        instagram = recipient.kind == "instagram" or (recipient.kind != "messenger" and "_" not in recipient.handle)
        network = "instagram" if instagram else "facebook"
        platform = "Instagram" if instagram else "Facebook"
        if len(text) > COMMENT_LIMIT[network]:
            raise DeliveryError(
                _("A public reply on %(platform)s can be at most %(limit)s characters; shorten it.")
                % {"platform": platform, "limit": COMMENT_LIMIT[network]},
                retry=False, code="too_long",
            )
        path = f"/{recipient.handle}/replies" if instagram else f"/{recipient.handle}/comments"
        data = graph.post(client, path, {"message": text}, platform)
        return SendResult(platform_message_id=str(data.get("id") or ""), mode="comment")

    def _private_reply(self, client: httpx.Client, recipient: Recipient, text: str) -> SendResult:
        problem = self.reply_window_problem(recipient, clock.now())
        if problem:
            raise DeliveryError(problem, retry=False, code="window_closed")
        if len(text) > TEXT_LIMIT:
            raise DeliveryError(
                _("A private reply to a comment can be at most %(limit)s characters; shorten it.") % {"limit": TEXT_LIMIT},
                retry=False, code="too_long",
            )
        payload = {"recipient": {"comment_id": recipient.handle}, "message": {"text": text}}
        data = graph.post(client, "/me/messages", payload, "Messenger")
        return SendResult(platform_message_id=str(data.get("message_id") or ""), mode="private_reply")

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        last = recipient.last_inbound_at
        if recipient.public or last is None or now - last < HUMAN_AGENT_WINDOW:
            return ""
        if recipient.kind == "comment":
            return _("Facebook and Instagram allow a private reply to a comment only within 7 days after it was written, and that time has passed. Answer publicly under the comment, or reach the customer another way.")
        return _("%(platform)s only lets a business answer within 7 days after the customer's last message, and that time has passed. Reach the customer another way, such as a phone call or an email.") % {"platform": platform_name(recipient.kind)}

    def fetch_profile(self, channel: ChannelConfig, contact: Contact) -> Profile | None:
        """The person's name (Instagram: username and follower count); None when Meta will not
        say (the Page may not see this person's profile)."""
        platform = platform_name(contact.kind)
        if not _GRAPH_ID.fullmatch(contact.handle):
            return None
        instagram = contact.kind == "instagram"
        fields = "username,name,follower_count" if instagram else "name"
        with graph.page_client(channel, self.api_base_setting) as client:
            try:
                response = client.get(f"/{quote(contact.handle, safe='')}", params={"fields": fields})
            except httpx.TransportError as exc:
                raise graph.unreachable(platform) from exc
        if response.status_code != 200:
            refusal = graph.refusal(response, platform)
            if refusal.retry or refusal.code == "token_expired":
                raise refusal
            return None
        data = json_object(response)
        name = str((data.get("username") if instagram else None) or data.get("name") or "")
        followers = data.get("follower_count")
        reach = followers if isinstance(followers, int) and not isinstance(followers, bool) else None
        return Profile(display_name=name, reach=reach) if name or reach is not None else None

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        # Attachment URLs are signed CDN addresses: fetched as they are, without our token.
        if not media_ref.startswith(("https://", "http://")):
            raise DeliveryError(_("This attachment has no address to fetch it from."), retry=False, code="no_url")
        with download_client() as client:
            try:
                with client.stream("GET", media_ref) as response:
                    status = response.status_code
                    if status in (403, 404, 410):
                        raise DeliveryError(_("Meta no longer serves this file (its link has expired)."), retry=False, code="gone")
                    if status == 429 or status >= 500:
                        raise DeliveryError(_("Meta could not hand over this file right now; it will be tried again."), retry=True, code="platform")
                    if status != 200:
                        raise DeliveryError(_("Meta refused to hand over this file (HTTP %(status)s).") % {"status": status}, retry=False, code=f"http_{status}")
                    content = read_limited(response, max_bytes)
                    content_type = response.headers.get("content-type", "application/octet-stream")
            except httpx.TransportError as exc:
                raise graph.unreachable("Meta") from exc
        return content, content_type.split(";")[0].strip().lower()


def _messaging_type(tagged: bool) -> dict[str, str]:
    return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if tagged else {"messaging_type": "RESPONSE"}


ADAPTER = MessengerAdapter()
