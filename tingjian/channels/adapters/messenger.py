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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from tingjian import clock

from .base import (
    Accepted,
    Adapter,
    AttachmentIn,
    ChannelConfig,
    Contact,
    ContactEvent,
    CustomerMessage,
    DeliveryError,
    DeliveryReceipt,
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

RESPONSE_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
TEXT_LIMIT = 2000  # characters in one Messenger / Instagram message
COMMENT_LIMIT = {"facebook": 8000, "instagram": 2200}
RATE_LIMITED = frozenset({4, 17, 32, 613})
TRANSIENT = frozenset({1, 2, 1200})
OUTSIDE_WINDOW = frozenset({2018278})
# Attachments whose payload.url is the file itself; others (shares, links) are only noted.
FILE_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file", "ig_reel": "video", "reel": "video"}
# Meta ids are digits (a Facebook comment id: two numbers joined by "_"); nothing else may
# become part of an API path.
_GRAPH_ID = re.compile(r"[0-9A-Za-z_]{1,128}")


def signature(app_secret: str, body: bytes) -> str:
    """Meta's X-Hub-Signature-256 for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def _compact(data: Any, *, sort_keys: bool = False) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _when(value: Any) -> datetime:
    """A Meta time: milliseconds in messaging items, seconds in changes."""
    try:
        number = float(value)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise MalformedPayload("Meta event has no readable time") from exc


def _kind_of(item: Mapping[str, Any]) -> str:
    return next((key for key in sorted(item) if key not in ("sender", "recipient", "timestamp")), "event")


def _content_id(prefix: str, item: Mapping[str, Any]) -> str:
    # Receipts, reactions and edits have no id of their own; their content, which a
    # redelivery repeats, makes a stable one.
    return f"{prefix}:{hashlib.sha256(_compact(item, sort_keys=True)).hexdigest()[:40]}"


def _messaging_id(item: Mapping[str, Any]) -> str:
    for key in ("message", "postback"):
        mid = _dict(item.get(key)).get("mid")
        if mid:
            return str(mid)
    return _content_id(_kind_of(item), item)


def _change_id(change: Mapping[str, Any]) -> str:
    field, value = str(change.get("field") or "change"), _dict(change.get("value"))
    if field == "feed" and value.get("item") == "comment" and value.get("verb") == "add" and value.get("comment_id"):
        return str(value["comment_id"])
    if field in ("comments", "live_comments") and value.get("id"):
        return str(value["id"])
    return _content_id(field, change)


def _reach(value: Mapping[str, Any]) -> int | None:
    for holder in (_dict(value.get("from")), value):
        for key in ("followers_count", "follower_count"):
            count = holder.get(key)
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                return count
            if isinstance(count, str) and count.isdigit():
                return int(count)
    return None


def _attachment(item: Mapping[str, Any]) -> AttachmentIn:
    kind, payload = str(item.get("type") or ""), _dict(item.get("payload"))
    url = str(payload.get("url") or "")
    if kind in FILE_KINDS:
        sticker = kind == "image" and payload.get("sticker_id")
        return AttachmentIn(kind="sticker" if sticker else FILE_KINDS[kind], media_ref=url, note=str(item.get("title") or ""))
    if kind == "location":
        point = _dict(payload.get("coordinates"))
        return AttachmentIn(kind="location", note=f"{point.get('lat')},{point.get('long')}")
    # A shared post, a link preview, a story mention: its address is kept, not fetched.
    title = str(item.get("title") or payload.get("title") or "")
    return AttachmentIn(kind="link", note=" ".join(filter(None, (title, url))) or kind)


def _label(attachments: tuple[AttachmentIn, ...]) -> str:
    return " ".join(f"[{a.kind}]" for a in attachments)


def _platform(kind: str) -> str:
    return "Instagram" if kind == "instagram" else "Messenger"


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


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _refusal(response: httpx.Response, platform: str) -> DeliveryError:
    """A Graph API error in plain words, and whether trying later can help."""
    error = _dict(_json(response).get("error"))
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


def _unreachable(platform: str) -> DeliveryError:
    return DeliveryError(_("Could not reach %(platform)s; it will be tried again.") % {"platform": platform}, retry=True, code="network")


def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to pass ``max_bytes``."""
    too_large = DeliveryError(
        _("The file is larger than %(limit)s MB, the most Tingjian downloads, so it was not fetched.")
        % {"limit": round(max_bytes / (1024 * 1024), 1)},
        retry=False, code="too_large",
    )
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


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
        secret, given = channel.secret("app_secret"), _header(headers, "X-Hub-Signature-256").strip()
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
        events = []
        for entry in _dicts(delivery["entry"]):
            entry_id = str(entry.get("id") or "")
            base = {"object": obj, "entry_id": entry_id, "entry_time": entry.get("time")}
            meta = {"object": obj, "entry_id": entry_id}
            # "standby": messages for a thread another app (e.g. the Page inbox) controls.
            for key in ("messaging", "standby"):
                for item in _dicts(entry.get(key)):
                    events.append(IncomingEvent(
                        external_id=_messaging_id(item), payload=_compact({**base, "messaging": item}),
                        meta={**meta, "standby": key == "standby"},
                    ))
            for change in _dicts(entry.get("changes")):
                events.append(IncomingEvent(
                    external_id=_change_id(change), payload=_compact({**base, "change": change}),
                    meta={**meta, "field": str(change.get("field") or "")},
                ))
        return Accepted(events=events, response_body=b"EVENT_RECEIVED")

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
            return [self._messaging(data["messaging"], platform, own_id)]
        if isinstance(data.get("change"), dict):
            return [self._change(data["change"], platform, own_id, data.get("entry_time"))]
        raise MalformedPayload("stored Meta event has neither a messaging item nor a change")

    @staticmethod
    def _messaging(item: Mapping[str, Any], platform: str, own_id: str) -> ParsedEvent:
        sender = str(_dict(item.get("sender")).get("id") or "")
        message = item.get("message")
        if isinstance(message, dict):
            if message.get("is_echo") or (sender and sender == own_id):
                return Nothing(reason="echo of a message the Page or account sent")
            if message.get("is_deleted"):
                return Nothing(reason="the customer unsent a message")
            if not sender or not message.get("mid"):
                raise MalformedPayload("Meta message has no sender or no mid")
            attachments = tuple(_attachment(a) for a in _dicts(message.get("attachments")))
            unsupported = "[unsupported message]" if message.get("is_unsupported") else "[message]"
            text = str(message.get("text") or "") or _label(attachments) or unsupported
            return CustomerMessage(
                external_id=str(message["mid"]), contact=Contact(kind=platform, handle=sender), text=text,
                sent_at=_when(item.get("timestamp")), channel=platform, attachments=attachments,
            )
        kind = _kind_of(item)
        if kind == "postback" and sender:
            postback = _dict(item.get("postback"))
            detail = str(postback.get("payload") or postback.get("title") or "")
            return ContactEvent(contact=Contact(kind=platform, handle=sender), action="postback", at=_when(item.get("timestamp")), detail=detail)
        if kind == "delivery":
            delivery = _dict(item.get("delivery"))
            mids = tuple(str(mid) for mid in delivery.get("mids") or () if mid)
            if not mids:
                return Nothing(reason="delivery receipt naming no message (only a time)")
            return DeliveryReceipt(platform_message_ids=mids, status="delivered", at=_when(delivery.get("watermark") or item.get("timestamp")))
        if kind == "read":
            mid = _dict(item.get("read")).get("mid")
            if not mid:  # Messenger says only "read up to this time", which names no message
                return Nothing(reason="read receipt naming no message (only a time)")
            return DeliveryReceipt(platform_message_ids=(str(mid),), status="read", at=_when(item.get("timestamp")))
        return Nothing(reason=f"{_platform(platform)} {kind} event needs no action")

    @staticmethod
    def _change(change: Mapping[str, Any], platform: str, own_id: str, entry_time: Any) -> ParsedEvent:
        field, value = str(change.get("field") or ""), _dict(change.get("value"))
        author = _dict(value.get("from"))
        if platform == "messenger" and field == "feed":
            item, verb = value.get("item"), value.get("verb")
            if item != "comment":
                return Nothing(reason=f"page feed {item} {verb} needs no action")
            if verb != "add":
                return Nothing(reason=f"comment {verb}: edits and removals change no case")
            comment_id, name = str(value.get("comment_id") or ""), str(author.get("name") or "")
            at = _when(value.get("created_time") or entry_time)
            attachments = tuple(
                AttachmentIn(kind=kind, media_ref=str(value[key]))
                for key, kind in (("photo", "image"), ("video", "video")) if isinstance(value.get(key), str)
            )
            text = str(value.get("message") or "") or _label(attachments) or "[comment]"
        elif platform == "instagram" and field in ("comments", "live_comments"):
            comment_id, name = str(value.get("id") or ""), str(author.get("username") or "")
            at = _when(entry_time)
            attachments, text = (), str(value.get("text") or "") or "[comment]"
        else:
            return Nothing(reason=f"{_platform(platform)} {field or 'unnamed'} change needs no action")
        handle = str(author.get("id") or "")
        if not handle:
            return Nothing(reason="a comment whose author Meta does not name")
        if handle == own_id:
            return Nothing(reason="a comment the Page or account wrote itself")
        if not comment_id:
            raise MalformedPayload("Meta comment has no id")
        return CustomerMessage(
            external_id=comment_id, contact=Contact(kind=platform, handle=handle, display_name=name, reach=_reach(value)),
            text=text, sent_at=at, channel=platform, is_public=True, public_reply_target=comment_id,
            attachments=attachments,
        )

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        platform = _platform(recipient.kind)
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
        with self._client(channel) as client:
            if recipient.public:
                return self._comment(client, recipient, message.text)
            if recipient.kind == "comment":
                return self._private_reply(client, recipient, message.text)
            return self._send_api(client, recipient, message.text)

    def _send_api(self, client: httpx.Client, recipient: Recipient, text: str) -> SendResult:
        platform, now = _platform(recipient.kind), clock.now()
        age = now - recipient.last_inbound_at if recipient.last_inbound_at else None
        if age is not None and age >= HUMAN_AGENT_WINDOW:
            raise DeliveryError(self.reply_window_problem(recipient, now), retry=False, code="window_closed")
        tagged = age is not None and age >= RESPONSE_WINDOW
        first = ""
        for piece in split_text(text):
            payload = {"recipient": {"id": recipient.handle}, "message": {"text": piece}}
            try:
                data = self._post(client, "/me/messages", {**payload, **_messaging_type(tagged)}, platform)
            except DeliveryError as exc:
                # Meta's clock decides: at the 24-hour edge a RESPONSE can arrive just too
                # late, while a person may still answer for days.
                if exc.code != "window_closed" or tagged or age is None:
                    raise
                tagged = True
                data = self._post(client, "/me/messages", {**payload, **_messaging_type(True)}, platform)
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
        data = self._post(client, path, {"message": text}, platform)
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
        data = self._post(client, "/me/messages", payload, "Messenger")
        return SendResult(platform_message_id=str(data.get("message_id") or ""), mode="private_reply")

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        last = recipient.last_inbound_at
        if recipient.public or last is None or now - last < HUMAN_AGENT_WINDOW:
            return ""
        if recipient.kind == "comment":
            return _("Facebook and Instagram allow a private reply to a comment only within 7 days after it was written, and that time has passed. Answer publicly under the comment, or reach the customer another way.")
        return _("%(platform)s only lets a business answer within 7 days after the customer's last message, and that time has passed. Reach the customer another way, such as a phone call or an email.") % {"platform": _platform(recipient.kind)}

    def fetch_profile(self, channel: ChannelConfig, contact: Contact) -> Profile | None:
        """The person's name (Instagram: username and follower count); None when Meta will not
        say (the Page may not see this person's profile)."""
        platform = _platform(contact.kind)
        if not _GRAPH_ID.fullmatch(contact.handle):
            return None
        instagram = contact.kind == "instagram"
        fields = "username,name,follower_count" if instagram else "name"
        with self._client(channel) as client:
            try:
                response = client.get(f"/{quote(contact.handle, safe='')}", params={"fields": fields})
            except httpx.TransportError as exc:
                raise _unreachable(platform) from exc
        if response.status_code != 200:
            refusal = _refusal(response, platform)
            if refusal.retry or refusal.code == "token_expired":
                raise refusal
            return None
        data = _json(response)
        name = str((data.get("username") if instagram else None) or data.get("name") or "")
        followers = data.get("follower_count")
        reach = followers if isinstance(followers, int) and not isinstance(followers, bool) else None
        return Profile(display_name=name, reach=reach) if name or reach is not None else None

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        # Attachment URLs are signed CDN addresses: fetched as they are, without our token.
        if not media_ref.startswith(("https://", "http://")):
            raise DeliveryError(_("This attachment has no address to fetch it from."), retry=False, code="no_url")
        with httpx.Client(timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT, follow_redirects=True) as client:
            try:
                with client.stream("GET", media_ref) as response:
                    status = response.status_code
                    if status in (403, 404, 410):
                        raise DeliveryError(_("Meta no longer serves this file (its link has expired)."), retry=False, code="gone")
                    if status == 429 or status >= 500:
                        raise DeliveryError(_("Meta could not hand over this file right now; it will be tried again."), retry=True, code="platform")
                    if status != 200:
                        raise DeliveryError(_("Meta refused to hand over this file (HTTP %(status)s).") % {"status": status}, retry=False, code=f"http_{status}")
                    content = _read_limited(response, max_bytes)
                    content_type = response.headers.get("content-type", "application/octet-stream")
            except httpx.TransportError as exc:
                raise _unreachable("Meta") from exc
        return content, content_type.split(";")[0].strip().lower()

    @staticmethod
    def _client(channel: ChannelConfig) -> httpx.Client:
        token, app_secret = channel.secret("page_access_token"), channel.secret("app_secret")
        # appsecret_proof ties the token to our app, so a leaked token alone is not enough
        # (when the app requires it); it is a hash, not the secret.
        params = {"appsecret_proof": hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()} if app_secret else {}
        return httpx.Client(
            base_url=channel.api_base or str(getattr(settings, MessengerAdapter.api_base_setting, "")),
            timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT, headers={"Authorization": f"Bearer {token}"}, params=params,
        )

    @staticmethod
    def _post(client: httpx.Client, path: str, payload: Mapping[str, Any], platform: str) -> dict[str, Any]:
        try:
            response = client.post(path, content=_compact(payload), headers={"Content-Type": "application/json"})
        except httpx.TransportError as exc:
            raise _unreachable(platform) from exc
        if response.status_code != 200:
            raise _refusal(response, platform)
        return _json(response)


def _messaging_type(tagged: bool) -> dict[str, str]:
    return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"} if tagged else {"messaging_type": "RESPONSE"}


ADAPTER = MessengerAdapter()
