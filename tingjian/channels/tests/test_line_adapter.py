"""The LINE adapter against LINE's own SDK (signatures, payload shapes) and a fake LINE API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import translation
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.models.events import UnknownEvent  # what the SDK makes of a shape it does not know
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    LocationMessageContent,
    MessageEvent,
    StickerMessageContent,
    UnsendEvent,
    VideoMessageContent,
)

from tingjian.channels.adapters.base import (
    AttachmentIn,
    ChannelConfig,
    Contact,
    ContactEvent,
    CustomerMessage,
    DeliveryError,
    MalformedPayload,
    Nothing,
    OutgoingMessage,
    ParsedEvent,
    Profile,
    Recipient,
    SendResult,
    SignatureInvalid,
)
from tingjian.channels.adapters.line import ADAPTER, TEXT_LIMIT, split_text

SECRET = "8d2c1f0e9b7a6c5d4e3f2a1b0c9d8e7f"
TOKEN = "line-channel-access-token"
BOT = "Ubot0000000000000000000000000000"
USER = "U4af4980629000000000000000000000a"
TIMESTAMP = 1767225600123  # 2026-01-01 00:00:00.123 UTC, in LINE's milliseconds
SENT_AT = datetime(2026, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
RETRY_KEY = "123e4567-e89b-12d3-a456-426614174000"
OFFLINE = ChannelConfig(kind="line", name="oa", secrets={"channel_secret": SECRET, "channel_access_token": TOKEN})


@pytest.fixture(autouse=True)
def english():
    # DeliveryError texts are asserted in English, whatever the default language.
    with translation.override("en"):
        yield


@pytest.fixture
def channel(fake_platform, settings) -> ChannelConfig:
    settings.TINGJIAN_LINE_DATA_API_BASE = fake_platform.url
    settings.TINGJIAN_OUTBOUND_TIMEOUT = 5
    return ChannelConfig(
        kind="line", name="oa", secrets={"channel_secret": SECRET, "channel_access_token": TOKEN},
        api_base=fake_platform.url,
    )


# --- building what LINE sends ------------------------------------------------------------


def event(kind: str = "message", *, event_id: str = "01JGX0AAAAAAAAAAAAAAAAAAAA", redelivery: bool = False,
          user_id: str = USER, chat: str = "user", **fields: Any) -> dict[str, Any]:
    source: dict[str, Any] = {"type": chat}
    if chat == "group":
        source["groupId"] = "Cgroup0000000000000000000000000000"
    if user_id:
        source["userId"] = user_id
    return {
        "type": kind, "timestamp": TIMESTAMP, "source": source, "mode": "active",
        "webhookEventId": event_id, "deliveryContext": {"isRedelivery": redelivery}, **fields,
    }


def message_event(message: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return event("message", replyToken="reply-token-1", message={"id": "5001", "quoteToken": "q", **message}, **kw)


def text_event(text: str = "The soup was cold and the waiter was rude.", **kw: Any) -> dict[str, Any]:
    return message_event({"type": "text", "text": text}, **kw)


def body_of(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": BOT, "events": list(events)}, ensure_ascii=False).encode()


def sign(body: bytes, secret: str = SECRET) -> str:
    # Written from LINE's documentation, not taken from the adapter.
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def sdk_parse(body: bytes, signature: str) -> list[Any]:
    return WebhookParser(SECRET).parse(body.decode(), signature)


def accept(body: bytes, signature: str, channel: ChannelConfig = OFFLINE):
    return ADAPTER.accept(channel, body, {"X-Line-Signature": signature}, {})


def parse_one(item: dict[str, Any]) -> ParsedEvent:
    """Accept the event as LINE would deliver it, then parse what was stored."""
    body = body_of(item)
    [sdk_event] = sdk_parse(body, sign(body))
    assert not isinstance(sdk_event, UnknownEvent), "the test payload must be a shape LINE's SDK knows"
    [stored] = accept(body, sign(body)).events
    [parsed] = ADAPTER.parse(OFFLINE, stored)
    return parsed


# --- accept ------------------------------------------------------------------------------


def test_a_delivery_the_sdk_accepts_is_stored_event_by_event():
    first = text_event(event_id="01JGX0FIRST000000000000000")
    second = event("follow", event_id="01JGX0SECOND00000000000000", replyToken="reply-token-2", follow={"isUnblocked": False})
    body = body_of(first, second)

    sdk_events = sdk_parse(body, sign(body))
    accepted = accept(body, sign(body))

    assert [type(e) for e in sdk_events] == [MessageEvent, FollowEvent]
    assert [e.external_id for e in accepted.events] == [e.webhook_event_id for e in sdk_events]
    assert [json.loads(e.payload) for e in accepted.events] == [first, second]
    assert accepted.events[0].meta == {"destination": BOT, "redelivery": False}
    assert accepted.response_body == b"OK"


@pytest.mark.parametrize(
    ("sent_body", "signature"),
    [
        pytest.param(body_of(text_event("I was overcharged")), sign(body_of(text_event())), id="body-changed-after-signing"),
        pytest.param(body_of(text_event()), sign(body_of(text_event()), secret="another-secret"), id="signed-with-another-secret"),
        pytest.param(body_of(text_event()), base64.b64encode(b"\0" * 32).decode(), id="made-up"),
    ],
)
def test_a_forged_signature_is_refused_as_the_sdk_refuses_it(sent_body: bytes, signature: str):
    with pytest.raises(InvalidSignatureError):
        sdk_parse(sent_body, signature)
    with pytest.raises(SignatureInvalid):
        accept(sent_body, signature)


def test_a_delivery_without_signature_is_refused():
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(OFFLINE, body_of(text_event()), {}, {})


def test_a_channel_without_secret_refuses_everything():
    # An empty key is one anyone can sign with.
    unset = ChannelConfig(kind="line", name="oa", secrets={"channel_access_token": TOKEN})
    body = body_of(text_event())
    with pytest.raises(SignatureInvalid):
        accept(body, sign(body, secret=""), unset)


def test_the_signature_header_is_found_whatever_its_case():
    body = body_of(text_event())
    accepted = ADAPTER.accept(OFFLINE, body, {"x-line-signature": sign(body)}, {})
    assert len(accepted.events) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"destination": "U1", "events": [', id="not-json"),
        pytest.param(b'{"destination": "U1"}', id="no-events"),
        pytest.param(b'{"events": {"type": "message"}}', id="events-not-a-list"),
        pytest.param(b"[]", id="not-an-object"),
        pytest.param(json.dumps({"events": [{**text_event(), "webhookEventId": ""}]}).encode(), id="event-without-id"),
    ],
)
def test_a_signed_but_unreadable_body_is_malformed(body: bytes):
    with pytest.raises(MalformedPayload):
        accept(body, sign(body))


def test_the_consoles_verify_button_is_answered_with_nothing_stored():
    body = body_of()
    assert sdk_parse(body, sign(body)) == []
    accepted = accept(body, sign(body))
    assert accepted.events == []
    assert accepted.response_body == b"OK"


def test_a_redelivered_event_keeps_its_id_so_it_is_stored_once():
    original = text_event(event_id="01JGX0REDELIVERED000000000")
    again = text_event(event_id="01JGX0REDELIVERED000000000", redelivery=True)
    [first] = accept(body_of(original), sign(body_of(original))).events
    [second] = accept(body_of(again), sign(body_of(again))).events
    [sdk_event] = sdk_parse(body_of(again), sign(body_of(again)))

    assert sdk_event.delivery_context.is_redelivery is True
    assert second.external_id == first.external_id == "01JGX0REDELIVERED000000000"
    assert (first.meta["redelivery"], second.meta["redelivery"]) == (False, True)


# --- parse -------------------------------------------------------------------------------


def test_a_text_becomes_a_customer_message_with_its_reply_token():
    assert parse_one(text_event("湯是冷的")) == CustomerMessage(
        external_id="5001", contact=Contact(kind="line", handle=USER), text="湯是冷的",
        sent_at=SENT_AT, channel="line", reply_token="reply-token-1",
    )


@pytest.mark.parametrize(
    ("message", "sdk_class"),
    [
        ({"type": "image", "contentProvider": {"type": "line"}}, ImageMessageContent),
        ({"type": "video", "duration": 8000, "contentProvider": {"type": "line"}}, VideoMessageContent),
        ({"type": "audio", "duration": 4000, "contentProvider": {"type": "line"}}, AudioMessageContent),
    ],
)
def test_media_is_named_in_the_text_and_fetched_later_by_message_id(message: dict[str, Any], sdk_class: type):
    item = message_event({**message, "id": "5002"})
    [sdk_event] = sdk_parse(body_of(item), sign(body_of(item)))
    assert isinstance(sdk_event.message, sdk_class)

    parsed = parse_one(item)

    assert isinstance(parsed, CustomerMessage)
    assert parsed.text == f"[{message['type']}]"
    assert parsed.attachments == (AttachmentIn(kind=message["type"], media_ref="5002"),)


def test_a_file_keeps_its_name_and_size():
    item = message_event({"type": "file", "id": "5003", "fileName": "receipt.pdf", "fileSize": 20480})
    [sdk_event] = sdk_parse(body_of(item), sign(body_of(item)))
    assert isinstance(sdk_event.message, FileMessageContent)

    parsed = parse_one(item)

    assert isinstance(parsed, CustomerMessage)
    assert parsed.text == "[file] receipt.pdf"
    assert parsed.attachments == (AttachmentIn(kind="file", filename="receipt.pdf", media_ref="5003", size=20480),)


def test_an_image_hosted_elsewhere_is_fetched_from_its_url():
    url = "https://images.example.com/photo.jpg"
    parsed = parse_one(message_event({"type": "image", "contentProvider": {"type": "external", "originalContentUrl": url, "previewImageUrl": url}}))
    assert isinstance(parsed, CustomerMessage)
    assert parsed.attachments[0].media_ref == url


def test_a_location_reads_as_title_address_and_coordinates():
    item = message_event({"type": "location", "title": "Taipei 101", "address": "No. 7, Xinyi Rd", "latitude": 25.033964, "longitude": 121.564472})
    [sdk_event] = sdk_parse(body_of(item), sign(body_of(item)))
    assert isinstance(sdk_event.message, LocationMessageContent)

    parsed = parse_one(item)

    assert isinstance(parsed, CustomerMessage)
    assert parsed.text == "[location] Taipei 101 No. 7, Xinyi Rd 25.033964,121.564472"
    assert [a.kind for a in parsed.attachments] == ["location"]


def test_a_sticker_reads_as_a_sticker():
    item = message_event({"type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC", "keywords": ["angry"]})
    [sdk_event] = sdk_parse(body_of(item), sign(body_of(item)))
    assert isinstance(sdk_event.message, StickerMessageContent)

    parsed = parse_one(item)

    assert isinstance(parsed, CustomerMessage)
    assert (parsed.text, parsed.attachments) == ("[sticker]", ())


def test_follow_unfollow_and_postback_are_contact_events():
    contact = Contact(kind="line", handle=USER)
    assert parse_one(event("follow", replyToken="rt-f", follow={"isUnblocked": True})) == ContactEvent(
        contact=contact, action="follow", at=SENT_AT, detail="unblocked", reply_token="rt-f",
    )
    assert parse_one(event("unfollow")) == ContactEvent(contact=contact, action="unfollow", at=SENT_AT)
    assert parse_one(event("postback", replyToken="rt-p", postback={"data": "action=track&order=A123"})) == ContactEvent(
        contact=contact, action="postback", at=SENT_AT, detail="action=track&order=A123", reply_token="rt-p",
    )


@pytest.mark.parametrize(
    ("item", "sdk_class"),
    [
        pytest.param(event("unsend", unsend={"messageId": "5001"}), UnsendEvent, id="unsend"),
        pytest.param(event("join", user_id="", chat="group", replyToken="rt"), JoinEvent, id="bot-joined-a-group"),
        pytest.param(text_event(user_id=""), MessageEvent, id="message-without-user-id"),
        pytest.param(text_event(chat="group"), MessageEvent, id="message-in-a-group-chat"),
    ],
)
def test_events_needing_no_case_are_nothing(item: dict[str, Any], sdk_class: type):
    [sdk_event] = sdk_parse(body_of(item), sign(body_of(item)))
    assert isinstance(sdk_event, sdk_class)
    assert isinstance(parse_one(item), Nothing)


# --- send --------------------------------------------------------------------------------


def customer(**kw: Any) -> Recipient:
    return Recipient(handle=USER, kind="line", **kw)


def reply_text(text: str = "We are sorry. A refund is on its way.", retry_key: str = RETRY_KEY, **kw: Any) -> OutgoingMessage:
    return OutgoingMessage(text=text, case_number="C-2026-000123", retry_key=retry_key, **kw)


def test_a_fresh_reply_token_answers_free_of_charge(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/reply", (200, {"sentMessages": [{"id": "m-1", "quoteToken": "q"}]}))

    result = ADAPTER.send(channel, customer(reply_token="rt-1"), reply_text())

    assert result == SendResult(platform_message_id="m-1", mode="reply")
    [call] = fake_platform.requests
    assert call.path == "/v2/bot/message/reply"
    assert call.json() == {"replyToken": "rt-1", "messages": [{"type": "text", "text": "We are sorry. A refund is on its way."}]}
    assert call.headers["authorization"] == f"Bearer {TOKEN}"
    assert "x-line-retry-key" not in call.headers  # LINE refuses the header on replies


def test_an_invalid_reply_token_falls_back_to_push(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/reply", (400, {"message": "Invalid reply token"}))
    fake_platform.route("POST", "/v2/bot/message/push", (200, {"sentMessages": [{"id": "m-2", "quoteToken": "q"}]}))

    result = ADAPTER.send(channel, customer(reply_token="expired"), reply_text())

    assert result == SendResult(platform_message_id="m-2", mode="push")
    assert [r.path for r in fake_platform.requests] == ["/v2/bot/message/reply", "/v2/bot/message/push"]


def test_another_reply_refusal_is_not_pushed(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/reply", (400, {"message": "The request body has 1 error(s)"}))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(reply_token="rt-1"), reply_text())

    assert refused.value.retry is False
    assert fake_platform.calls("/v2/bot/message/push") == []


def test_a_push_carries_the_retry_key(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/push", (200, {"sentMessages": [{"id": "m-3", "quoteToken": "q"}]}))

    result = ADAPTER.send(channel, customer(), reply_text())

    assert result == SendResult(platform_message_id="m-3", mode="push")
    [call] = fake_platform.requests
    assert call.headers["x-line-retry-key"] == RETRY_KEY
    assert call.json() == {"to": USER, "messages": [{"type": "text", "text": "We are sorry. A refund is on its way."}]}


def test_a_retry_key_that_is_not_a_uuid_becomes_a_stable_one(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/push", (200, {"sentMessages": [{"id": "m"}]}))

    ADAPTER.send(channel, customer(), reply_text(retry_key="delivery-42"))
    ADAPTER.send(channel, customer(), reply_text(retry_key="delivery-42"))

    first, second = (r.headers["x-line-retry-key"] for r in fake_platform.requests)
    assert first == second == str(uuid.UUID(first))


def test_a_push_already_accepted_under_its_retry_key_counts_as_sent(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/push", (409, {"message": "The retry key is already accepted"}))

    assert ADAPTER.send(channel, customer(), reply_text()) == SendResult(platform_message_id="", mode="push")


@pytest.mark.parametrize(
    ("status", "answer", "retry", "code"),
    [
        (429, {"message": "Too many requests"}, True, "rate_limited"),
        (429, {"message": "You have reached your monthly limit."}, False, "quota"),
        (500, {"message": "Internal server error"}, True, "platform"),
        (503, {}, True, "platform"),
        (400, {"message": "The request body has 1 error(s)"}, False, "invalid"),
        (401, {"message": "Authentication failed"}, False, "auth"),
        (403, {"message": "Not authorized to use this API"}, False, "forbidden"),
    ],
)
def test_lines_refusals_in_plain_words_with_the_right_retry(channel, fake_platform, status, answer, retry, code):
    fake_platform.route("POST", "/v2/bot/message/push", (status, answer))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(), reply_text())

    assert (refused.value.retry, refused.value.code) == (retry, code)
    assert refused.value.message and "HTTP" not in refused.value.message


def test_the_monthly_quota_is_not_retried_and_says_so(channel, fake_platform):
    # Retrying cannot help until the month turns or the plan changes: the agent must know.
    fake_platform.route("POST", "/v2/bot/message/push", (429, {"message": "You have reached your monthly limit."}))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(), reply_text())

    assert refused.value.retry is False
    assert "this month" in refused.value.message
    assert len(fake_platform.requests) == 1


def test_an_unreachable_line_is_retried(settings):
    settings.TINGJIAN_OUTBOUND_TIMEOUT = 2
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = ChannelConfig(kind="line", name="oa", secrets={"channel_access_token": TOKEN}, api_base=f"http://127.0.0.1:{port}")

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(nowhere, customer(), reply_text())

    assert (refused.value.retry, refused.value.code) == (True, "network")


def test_a_long_text_is_pushed_in_pieces_five_to_a_request(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/push", lambda r: (200, {"sentMessages": [{"id": f"m-{len(fake_platform.requests)}"}]}))
    text = "x" * (TEXT_LIMIT * 6)

    result = ADAPTER.send(channel, customer(reply_token="rt-1"), reply_text(text))

    calls = fake_platform.requests
    assert [c.path for c in calls] == ["/v2/bot/message/push"] * 2  # one reply token cannot carry two requests
    pieces = [m["text"] for c in calls for m in c.json()["messages"]]
    assert [len(c.json()["messages"]) for c in calls] == [5, 1]
    assert "".join(pieces) == text
    assert result == SendResult(platform_message_id="m-1", mode="push")
    first_key, second_key = (c.headers["x-line-retry-key"] for c in calls)
    assert first_key == RETRY_KEY and second_key != RETRY_KEY


def test_a_long_text_retried_uses_the_same_keys_so_nothing_is_sent_twice(channel, fake_platform):
    fake_platform.route("POST", "/v2/bot/message/push", (200, {"sentMessages": [{"id": "m"}]}))
    text = "x" * (TEXT_LIMIT * 6)

    ADAPTER.send(channel, customer(), reply_text(text))
    ADAPTER.send(channel, customer(), reply_text(text))

    keys = [c.headers["x-line-retry-key"] for c in fake_platform.requests]
    assert keys[:2] == keys[2:] and keys[0] != keys[1]


def test_text_is_split_at_line_ends_and_never_inside_an_emoji():
    assert split_text("a" * 3000 + "\n" + "b" * 3000) == ["a" * 3000 + "\n", "b" * 3000]
    # LINE counts UTF-16 units: an emoji outside the BMP is two.
    pieces = split_text("😀" * 2501)
    assert pieces == ["😀" * 2500, "😀"]
    assert split_text("short") == ["short"]


def test_public_replies_and_files_are_refused_before_calling_line(channel, fake_platform):
    with pytest.raises(DeliveryError) as public:
        ADAPTER.send(channel, customer(public=True), reply_text())
    with pytest.raises(DeliveryError) as with_file:
        ADAPTER.send(channel, customer(), reply_text(attachments=(AttachmentIn(kind="image", content=b"x"),)))

    assert (public.value.retry, with_file.value.retry) == (False, False)
    assert fake_platform.requests == []


# --- profile and media -------------------------------------------------------------------


def test_the_profile_gives_name_and_language(channel, fake_platform):
    fake_platform.route("GET", f"/v2/bot/profile/{USER}", (200, {"userId": USER, "displayName": "陳小姐", "language": "zh-TW"}))

    assert ADAPTER.fetch_profile(channel, Contact(kind="line", handle=USER)) == Profile(display_name="陳小姐", language="zh-TW")
    assert fake_platform.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_no_profile_for_someone_line_does_not_know(channel, fake_platform):
    fake_platform.route("GET", f"/v2/bot/profile/{USER}", (404, {"message": "Not found"}))

    assert ADAPTER.fetch_profile(channel, Contact(kind="line", handle=USER)) is None


def test_media_comes_from_the_data_api(channel, fake_platform, settings):
    fake_platform.route("GET", "/v2/bot/message/5002/content", (200, b"\x89PNG image bytes"))
    # The content endpoint lives on another host than the rest of the API.
    elsewhere = ChannelConfig(kind="line", name="oa", secrets=channel.secrets, api_base="http://127.0.0.1:9")

    content, content_type = ADAPTER.fetch_media(elsewhere, "5002", max_bytes=1024)

    assert (content, content_type) == (b"\x89PNG image bytes", "application/octet-stream")
    assert fake_platform.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_media_over_the_limit_is_refused(channel, fake_platform):
    fake_platform.route("GET", "/v2/bot/message/5002/content", (200, b"0123456789"))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.fetch_media(channel, "5002", max_bytes=9)

    assert (refused.value.retry, refused.value.code) == (False, "too_large")


@pytest.mark.parametrize(("status", "retry", "code"), [(202, True, "not_ready"), (404, False, "gone"), (500, True, "platform")])
def test_media_not_ready_or_gone(channel, fake_platform, status, retry, code):
    fake_platform.route("GET", "/v2/bot/message/5002/content", (status, {}))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.fetch_media(channel, "5002", max_bytes=1024)

    assert (refused.value.retry, refused.value.code) == (retry, code)


def test_media_hosted_elsewhere_is_fetched_without_our_token(channel, fake_platform):
    fake_platform.route("GET", "/photos/1.jpg", (200, b"jpeg"))

    content, _ = ADAPTER.fetch_media(channel, f"{fake_platform.url}/photos/1.jpg", max_bytes=1024)

    assert content == b"jpeg"
    assert "authorization" not in fake_platform.requests[0].headers
