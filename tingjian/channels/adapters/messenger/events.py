"""Meta's webhook deliveries: their signature, one stored event per messaging item or change
(under the id a redelivery repeats), and what a stored event means for us.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..base import (
    AttachmentIn,
    Contact,
    ContactEvent,
    CustomerMessage,
    DeliveryReceipt,
    IncomingEvent,
    MalformedPayload,
    Nothing,
    ParsedEvent,
)
from ..platform_http import as_dict, compact_json

# Attachments whose payload.url is the file itself; others (shares, links) are only noted.
FILE_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file", "ig_reel": "video", "reel": "video"}


def signature(app_secret: str, body: bytes) -> str:
    """Meta's X-Hub-Signature-256 for ``body``."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def platform_name(kind: str) -> str:
    """The platform as the agent knows it, for a contact or recipient ``kind``."""
    return "Instagram" if kind == "instagram" else "Messenger"


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


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
    return f"{prefix}:{hashlib.sha256(compact_json(item, sort_keys=True)).hexdigest()[:40]}"


def _messaging_id(item: Mapping[str, Any]) -> str:
    for key in ("message", "postback"):
        mid = as_dict(item.get(key)).get("mid")
        if mid:
            return str(mid)
    return _content_id(_kind_of(item), item)


def _change_id(change: Mapping[str, Any]) -> str:
    field, value = str(change.get("field") or "change"), as_dict(change.get("value"))
    if field == "feed" and value.get("item") == "comment" and value.get("verb") == "add" and value.get("comment_id"):
        return str(value["comment_id"])
    if field in ("comments", "live_comments") and value.get("id"):
        return str(value["id"])
    return _content_id(field, change)


def split_delivery(delivery: Mapping[str, Any], obj: str) -> list[IncomingEvent]:
    """The events of a delivery (its ``entry`` list checked), one per messaging item or change."""
    events = []
    for entry in _dicts(delivery["entry"]):
        entry_id = str(entry.get("id") or "")
        base = {"object": obj, "entry_id": entry_id, "entry_time": entry.get("time")}
        meta = {"object": obj, "entry_id": entry_id}
        # "standby": messages for a thread another app (e.g. the Page inbox) controls.
        for key in ("messaging", "standby"):
            for item in _dicts(entry.get(key)):
                events.append(IncomingEvent(
                    external_id=_messaging_id(item), payload=compact_json({**base, "messaging": item}),
                    meta={**meta, "standby": key == "standby"},
                ))
        for change in _dicts(entry.get("changes")):
            events.append(IncomingEvent(
                external_id=_change_id(change), payload=compact_json({**base, "change": change}),
                meta={**meta, "field": str(change.get("field") or "")},
            ))
    return events


def _reach(value: Mapping[str, Any]) -> int | None:
    for holder in (as_dict(value.get("from")), value):
        for key in ("followers_count", "follower_count"):
            count = holder.get(key)
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                return count
            if isinstance(count, str) and count.isdigit():
                return int(count)
    return None


def _attachment(item: Mapping[str, Any]) -> AttachmentIn:
    kind, payload = str(item.get("type") or ""), as_dict(item.get("payload"))
    url = str(payload.get("url") or "")
    if kind in FILE_KINDS:
        sticker = kind == "image" and payload.get("sticker_id")
        return AttachmentIn(kind="sticker" if sticker else FILE_KINDS[kind], media_ref=url, note=str(item.get("title") or ""))
    if kind == "location":
        point = as_dict(payload.get("coordinates"))
        return AttachmentIn(kind="location", note=f"{point.get('lat')},{point.get('long')}")
    # A shared post, a link preview, a story mention: its address is kept, not fetched.
    title = str(item.get("title") or payload.get("title") or "")
    return AttachmentIn(kind="link", note=" ".join(filter(None, (title, url))) or kind)


def _label(attachments: tuple[AttachmentIn, ...]) -> str:
    return " ".join(f"[{a.kind}]" for a in attachments)


def read_messaging(item: Mapping[str, Any], platform: str, own_id: str) -> ParsedEvent:
    """What a messaging item means: a message, a postback, a receipt, or nothing to do."""
    sender = str(as_dict(item.get("sender")).get("id") or "")
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
        postback = as_dict(item.get("postback"))
        detail = str(postback.get("payload") or postback.get("title") or "")
        return ContactEvent(contact=Contact(kind=platform, handle=sender), action="postback", at=_when(item.get("timestamp")), detail=detail)
    if kind == "delivery":
        delivery = as_dict(item.get("delivery"))
        mids = tuple(str(mid) for mid in delivery.get("mids") or () if mid)
        if not mids:
            return Nothing(reason="delivery receipt naming no message (only a time)")
        return DeliveryReceipt(platform_message_ids=mids, status="delivered", at=_when(delivery.get("watermark") or item.get("timestamp")))
    if kind == "read":
        mid = as_dict(item.get("read")).get("mid")
        if not mid:  # Messenger says only "read up to this time", which names no message
            return Nothing(reason="read receipt naming no message (only a time)")
        return DeliveryReceipt(platform_message_ids=(str(mid),), status="read", at=_when(item.get("timestamp")))
    return Nothing(reason=f"{platform_name(platform)} {kind} event needs no action")


def read_change(change: Mapping[str, Any], platform: str, own_id: str, entry_time: Any) -> ParsedEvent:
    """What a feed or comments change means: a public comment from a customer, or nothing."""
    field, value = str(change.get("field") or ""), as_dict(change.get("value"))
    author = as_dict(value.get("from"))
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
        return Nothing(reason=f"{platform_name(platform)} {field or 'unnamed'} change needs no action")
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
