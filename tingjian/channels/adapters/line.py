"""LINE Messaging API: the one-to-one chats of a LINE Official Account.

LINE signs the raw webhook body (``X-Line-Signature`` = base64 HMAC-SHA256 under the
channel secret) and sends events in batches; each event keeps its ``webhookEventId`` when
LINE redelivers it, so that id is what makes storing it idempotent.

Replies: a reply token answers one event free of charge, once, for about a minute (the
outbound task only hands us a fresh one). Otherwise, or when LINE calls the token invalid,
we push, which counts against the account's monthly quota. Pushes carry
``X-Line-Retry-Key`` so a push retried after a timeout is never delivered twice; LINE
answers 409 to a key it has already accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from .base import (
    Accepted,
    Adapter,
    AttachmentIn,
    ChannelConfig,
    Contact,
    ContactEvent,
    CustomerMessage,
    DeliveryError,
    IncomingEvent,
    MalformedPayload,
    Nothing,
    OutgoingMessage,
    ParsedEvent,
    Profile,
    Recipient,
    SendResult,
    SignatureInvalid,
)
from .platform_http import (
    api_client,
    as_dict,
    bearer,
    compact_json,
    download_client,
    header,
    json_object,
    read_limited,
)

# LINE counts a text message's length in UTF-16 code units (an emoji outside the BMP is 2).
TEXT_LIMIT = 5000
MESSAGES_PER_REQUEST = 5
MEDIA_TYPES = ("image", "video", "audio", "file")
# Derives the retry keys of a long text's later push requests, and a key from a retry_key
# that is not itself a UUID (LINE accepts only UUIDs).
RETRY_KEY_NAMESPACE = uuid.UUID("8f6d7f0e-3c1a-5b7e-9a57-6c1f0d0b7a21")


def signature(channel_secret: str, body: bytes) -> str:
    """LINE's X-Line-Signature for ``body``."""
    digest = hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _event_time(item: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(int(item["timestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload("LINE event has no readable timestamp") from exc


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in pieces LINE accepts, cut at a line or word end where one is near."""
    pieces: list[str] = []
    rest = text
    while _utf16_length(rest) > limit:
        # The longest prefix within the limit (in UTF-16 units), then back to a natural break.
        end, units = 0, 0
        for char in rest:
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                break
            end += 1
        window = rest[:end]
        cut = max(window.rfind("\n"), window.rfind(" "), window.rfind("。"))
        if cut < end // 2:  # no break in the second half: cut hard rather than make tiny pieces
            cut = end
        else:
            cut += 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _retry_key(base: str, index: int) -> str:
    """The X-Line-Retry-Key of a send's ``index``-th push request: stable across retries."""
    if not base:
        return ""
    try:
        key = uuid.UUID(base)
    except ValueError:
        key = uuid.uuid5(RETRY_KEY_NAMESPACE, base)
    return str(key if index == 0 else uuid.uuid5(key, str(index)))


def _first_sent_id(response: httpx.Response) -> str:
    sent = json_object(response).get("sentMessages")
    if isinstance(sent, list) and sent and isinstance(sent[0], dict):
        return str(sent[0].get("id") or "")
    return ""


def _refusal(response: httpx.Response) -> DeliveryError:
    """LINE's answer to a send in plain words, and whether trying later can help."""
    status = response.status_code
    said = str(json_object(response).get("message") or "").lower()
    if status == 429 and "monthly limit" in said:
        return DeliveryError(
            _("This LINE account has used up its messages for this month, so LINE will not send more. Raise the limit in LINE Official Account Manager, or reach the customer another way."),
            retry=False, code="quota",
        )
    if status == 429:
        return DeliveryError(_("LINE is receiving too many requests from us right now; it will be tried again."), retry=True, code="rate_limited")
    if status >= 500:
        return DeliveryError(_("LINE is having trouble right now; it will be tried again."), retry=True, code="platform")
    words = {
        400: (_("LINE refused the message as invalid (it may be too long, or the customer's LINE ID is wrong)."), "invalid"),
        401: (_("LINE did not accept the channel access token. An administrator must issue a new one in the LINE Developers Console and update the channel."), "auth"),
        403: (_("This LINE account is not allowed to send this kind of message. An administrator must check the account's plan and permissions."), "forbidden"),
        404: (_("LINE does not know this customer for this account."), "not_found"),
    }
    message, code = words.get(status, (_("LINE refused the message (HTTP %(status)s).") % {"status": status}, f"http_{status}"))
    return DeliveryError(message, retry=False, code=code)


def _unreachable() -> DeliveryError:
    return DeliveryError(_("Could not reach LINE; it will be tried again."), retry=True, code="network")


class LineAdapter(Adapter):
    kind: ClassVar[str] = "line"
    label: ClassVar[str] = "LINE Official Account"
    secret_keys: ClassVar[tuple[str, ...]] = ("channel_secret", "channel_access_token")
    required_keys: ClassVar[tuple[str, ...]] = ("channel_secret", "channel_access_token")
    api_base_setting: ClassVar[str] = "TINGJIAN_LINE_API_BASE"

    def accept(
        self, channel: ChannelConfig, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Accepted:
        secret, given = channel.secret("channel_secret"), header(headers, "X-Line-Signature").strip()
        # Without a secret anyone could sign, so an unset secret refuses everything.
        if not secret or not given:
            raise SignatureInvalid("X-Line-Signature or channel secret missing")
        if not hmac.compare_digest(signature(secret, body).encode(), given.encode()):
            raise SignatureInvalid("X-Line-Signature does not match the body")
        try:
            delivery = json.loads(body)
        except ValueError as exc:
            raise MalformedPayload("LINE webhook body is not JSON") from exc
        if not isinstance(delivery, dict) or not isinstance(delivery.get("events"), list):
            raise MalformedPayload('LINE webhook body has no "events" list')
        destination = str(delivery.get("destination") or "")
        events = []
        # An empty list is the console's "Verify" button: answered 200, nothing stored.
        for item in delivery["events"]:
            event_id = item.get("webhookEventId") if isinstance(item, dict) else None
            if not isinstance(event_id, str) or not event_id:
                raise MalformedPayload("a LINE event has no webhookEventId")
            redelivery = bool(as_dict(item.get("deliveryContext")).get("isRedelivery"))
            events.append(IncomingEvent(
                external_id=event_id, payload=compact_json(item),
                meta={"destination": destination, "redelivery": redelivery},
            ))
        return Accepted(events=events, response_body=b"OK")

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            item = json.loads(event.payload)
        except ValueError as exc:
            raise MalformedPayload("stored LINE event is not JSON") from exc
        if not isinstance(item, dict):
            raise MalformedPayload("stored LINE event is not an object")
        kind = str(item.get("type") or "")
        if kind not in ("message", "follow", "unfollow", "postback"):
            return [Nothing(reason=f"LINE {kind or 'untyped'} event needs no action")]
        source = as_dict(item.get("source"))
        user_id = str(source.get("userId") or "")
        if not user_id:
            return [Nothing(reason=f"LINE {kind} event names no user")]
        if source.get("type", "user") != "user":
            # A reply token there answers the whole group; complaints come in one-to-one chats.
            return [Nothing(reason=f"LINE {kind} event in a {source.get('type')} chat")]
        at = _event_time(item)
        contact = Contact(kind="line", handle=user_id)
        reply_token = str(item.get("replyToken") or "")
        if kind == "follow":
            detail = "unblocked" if as_dict(item.get("follow")).get("isUnblocked") else ""
            return [ContactEvent(contact=contact, action="follow", at=at, detail=detail, reply_token=reply_token)]
        if kind == "unfollow":
            return [ContactEvent(contact=contact, action="unfollow", at=at)]
        if kind == "postback":
            detail = str(as_dict(item.get("postback")).get("data") or "")
            return [ContactEvent(contact=contact, action="postback", at=at, detail=detail, reply_token=reply_token)]
        message = item.get("message")
        if not isinstance(message, dict) or not message.get("id"):
            raise MalformedPayload("LINE message event has no message id")
        text, attachments = self._content(message)
        return [CustomerMessage(
            external_id=str(message["id"]), contact=contact, text=text, sent_at=at, channel="line",
            attachments=attachments, reply_token=reply_token,
        )]

    @staticmethod
    def _content(message: Mapping[str, Any]) -> tuple[str, tuple[AttachmentIn, ...]]:
        """A readable body for the agent, and the files LINE only names (fetched later)."""
        kind = str(message.get("type") or "")
        if kind == "text":
            return str(message.get("text") or ""), ()
        if kind in MEDIA_TYPES:
            provider = as_dict(message.get("contentProvider"))
            # Content sent through another service lives at its URL, not on LINE's servers.
            ref = str(provider.get("originalContentUrl") or "") if provider.get("type") == "external" else str(message["id"])
            size = message.get("fileSize")
            image_set = as_dict(message.get("imageSet"))
            note = f"image {image_set.get('index')} of {image_set.get('total')}" if image_set.get("total") else ""
            attachment = AttachmentIn(
                kind=kind, filename=str(message.get("fileName") or ""), media_ref=ref,
                size=size if isinstance(size, int) else None, note=note,
            )
            label = f"[file] {attachment.filename}" if kind == "file" and attachment.filename else f"[{kind}]"
            return label, (attachment,)
        if kind == "location":
            point = f"{message.get('latitude')},{message.get('longitude')}"
            words = [str(message.get(k) or "").strip() for k in ("title", "address")]
            place = " ".join([*filter(None, words), point])
            return f"[location] {place}", (AttachmentIn(kind="location", note=place),)
        if kind == "sticker":
            # A "message sticker" carries words of its own; a plain one only its keywords.
            said = str(message.get("text") or "")
            return (f"[sticker] {said}" if said else "[sticker]"), ()
        # A kind LINE added later: still the customer speaking, so show that something came.
        return f"[{kind or 'message'}]", ()

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        if recipient.public:
            raise DeliveryError(_("LINE has no public replies; answer the customer in their chat."), retry=False, code="unsupported")
        if message.attachments:
            raise DeliveryError(
                _("Replies on LINE can carry text only. Remove the file, or send it another way."),
                retry=False, code="attachments_unsupported",
            )
        if not message.text.strip():
            raise DeliveryError(_("The reply is empty, so there is nothing to send."), retry=False, code="empty")
        token = channel.secret("channel_access_token")
        if not token:
            raise DeliveryError(
                _("This LINE channel has no channel access token. An administrator must add it to the channel."),
                retry=False, code="auth",
            )
        texts = [{"type": "text", "text": piece} for piece in split_text(message.text)]
        batches = [texts[i : i + MESSAGES_PER_REQUEST] for i in range(0, len(texts), MESSAGES_PER_REQUEST)]
        with api_client(channel, self.api_base_setting, token) as client:
            # One reply token answers one request: a text needing several requests is pushed.
            if recipient.reply_token and len(batches) == 1:
                response = self._post(client, "/v2/bot/message/reply", {"replyToken": recipient.reply_token, "messages": batches[0]})
                if response.status_code == 200:
                    return SendResult(platform_message_id=_first_sent_id(response), mode="reply")
                # Expired or already used: push instead. Anything else is a real refusal.
                if not (response.status_code == 400 and "reply token" in str(json_object(response).get("message") or "").lower()):
                    raise _refusal(response)
            first_id = ""
            for index, batch in enumerate(batches):
                key = _retry_key(message.retry_key, index)
                headers = {"X-Line-Retry-Key": key} if key else {}
                response = self._post(client, "/v2/bot/message/push", {"to": recipient.handle, "messages": batch}, headers)
                # 409: LINE already accepted this very request (a retry after a timeout).
                if response.status_code not in (200, 409):
                    raise _refusal(response)
                first_id = first_id or (_first_sent_id(response) if response.status_code == 200 else "")
        return SendResult(platform_message_id=first_id, mode="push")

    def fetch_profile(self, channel: ChannelConfig, contact: Contact) -> Profile | None:
        """The friend's display name and language; None when LINE has no profile for them
        (not a friend of the account, or the account deleted)."""
        with api_client(channel, self.api_base_setting, channel.secret("channel_access_token")) as client:
            try:
                response = client.get(f"/v2/bot/profile/{quote(contact.handle, safe='')}")
            except httpx.TransportError as exc:
                raise _unreachable() from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _refusal(response)
        data = json_object(response)
        name, language = str(data.get("displayName") or ""), str(data.get("language") or "")
        return Profile(display_name=name, language=language) if name or language else None

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        if media_ref.startswith(("https://", "http://")):
            # Content from another service: fetched from there, without our token.
            url, headers = media_ref, {}
        else:
            base = str(settings.TINGJIAN_LINE_DATA_API_BASE).rstrip("/")
            url = f"{base}/v2/bot/message/{quote(media_ref, safe='')}/content"
            headers = bearer(channel.secret("channel_access_token"))
        with download_client() as client:
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if response.status_code == 202:
                        raise DeliveryError(_("LINE is still preparing this file; it will be fetched again."), retry=True, code="not_ready")
                    if response.status_code in (404, 410):
                        raise DeliveryError(_("LINE no longer keeps this file (it keeps files for a limited time only)."), retry=False, code="gone")
                    if response.status_code != 200:
                        response.read()
                        raise _refusal(response)
                    content = read_limited(response, max_bytes)
                    content_type = response.headers.get("content-type", "application/octet-stream")
            except httpx.TransportError as exc:
                raise _unreachable() from exc
        return content, content_type.split(";")[0].strip().lower()

    @staticmethod
    def _post(client: httpx.Client, path: str, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> httpx.Response:
        try:
            return client.post(path, content=compact_json(payload), headers={"Content-Type": "application/json", **(headers or {})})
        except httpx.TransportError as exc:
            raise _unreachable() from exc


ADAPTER = LineAdapter()
