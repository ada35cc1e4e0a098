"""The Messenger / Instagram adapter: Meta's signatures, its webhook shapes, the reply windows,
and the Graph API's answers (from a fake Graph API)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import translation

from tingjian.channels.adapters.base import (
    AttachmentIn,
    ChannelConfig,
    Contact,
    ContactEvent,
    CustomerMessage,
    DeliveryError,
    DeliveryReceipt,
    MalformedPayload,
    Nothing,
    OutgoingMessage,
    ParsedEvent,
    Profile,
    Recipient,
    SendResult,
    SignatureInvalid,
)
from tingjian.channels.adapters.messenger import ADAPTER, TEXT_LIMIT

APP_SECRET = "f3b1c2d4e5f60718293a4b5c6d7e8f90"
VERIFY_TOKEN = "tingjian-verify-7c1e"
PAGE_TOKEN = "EAAGpagetoken"
PAGE_ID = "104000000000001"
IG_ID = "17841400000000001"
PSID = "6543210987654321"
IGSID = "1234567890123456"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SENT_MS = 1772366400000  # 2026-03-01 12:00:00 UTC in milliseconds
SECRETS = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "page_access_token": PAGE_TOKEN}
OFFLINE = ChannelConfig(kind="messenger", name="page", config={"page_id": PAGE_ID}, secrets=SECRETS)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("tingjian.clock.now", lambda: NOW)


@pytest.fixture
def channel(fake_platform, settings) -> ChannelConfig:
    settings.TINGJIAN_OUTBOUND_TIMEOUT = 5
    return ChannelConfig(kind="messenger", name="page", config={"page_id": PAGE_ID}, secrets=SECRETS, api_base=fake_platform.url)


# --- building what Meta sends ------------------------------------------------------------


def delivery(obj: str, *entries: dict[str, Any]) -> bytes:
    return json.dumps({"object": obj, "entry": list(entries)}, ensure_ascii=False).encode()


def entry(owner: str = PAGE_ID, *, messaging: tuple = (), changes: tuple = (), time: int = SENT_MS) -> dict[str, Any]:
    found: dict[str, Any] = {"id": owner, "time": time}
    if messaging:
        found["messaging"] = list(messaging)
    if changes:
        found["changes"] = list(changes)
    return found


def item(sender: str = PSID, owner: str = PAGE_ID, **fields: Any) -> dict[str, Any]:
    return {"sender": {"id": sender}, "recipient": {"id": owner}, "timestamp": SENT_MS, **fields}


def text(words: str = "My order arrived broken.", mid: str = "m_AAA1", **kw: Any) -> dict[str, Any]:
    return item(message={"mid": mid, "text": words}, **kw)


def feed_comment(verb: str = "add", *, author: dict[str, Any] | None = None, **value: Any) -> dict[str, Any]:
    return {"field": "feed", "value": {
        "item": "comment", "verb": verb, "comment_id": "104000000000001_998877", "post_id": "104000000000001_5566",
        "parent_id": "104000000000001_5566", "created_time": 1772366400, "message": "Worst service ever.",
        "from": author or {"id": "24000000000001", "name": "Wang Da-ming"}, **value,
    }}


def ig_comment(author: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"field": "comments", "value": {
        "id": "17900000000000001", "text": "Still waiting for my refund!", "media": {"id": "17800000000000001"},
        "from": author or {"id": IGSID, "username": "foodie.tw"},
    }}


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    # Written from Meta's documentation, not taken from the adapter.
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def accept(body: bytes, signature: str | None = None, channel: ChannelConfig = OFFLINE):
    return ADAPTER.accept(channel, body, {"X-Hub-Signature-256": sign(body) if signature is None else signature}, {})


def parse_all(body: bytes) -> list[ParsedEvent]:
    return [parsed for event in accept(body).events for parsed in ADAPTER.parse(OFFLINE, event)]


def parse_one(body: bytes) -> ParsedEvent:
    [parsed] = parse_all(body)
    return parsed


# --- accept and verify -------------------------------------------------------------------


def test_each_messaging_item_and_change_is_stored_under_the_platforms_id():
    body = delivery(
        "page",
        entry(messaging=(text(mid="m_AAA1"), item(postback={"mid": "m_PB1", "title": "Track order", "payload": "TRACK"}))),
        entry(changes=(feed_comment(),)),
    )

    accepted = accept(body)

    assert [e.external_id for e in accepted.events] == ["m_AAA1", "m_PB1", "104000000000001_998877"]
    assert json.loads(accepted.events[0].payload)["messaging"] == text(mid="m_AAA1")
    assert accepted.events[2].meta["field"] == "feed"
    assert accepted.response_body == b"EVENT_RECEIVED"


def test_receipts_get_an_id_from_their_content_that_a_redelivery_repeats():
    delivered = item(sender=PSID, delivery={"mids": ["m_OUT1"], "watermark": SENT_MS})
    read = item(sender=PSID, read={"watermark": SENT_MS})
    body = delivery("page", entry(messaging=(delivered, read)))
    other = delivery("page", entry(messaging=(item(delivery={"mids": ["m_OUT2"], "watermark": SENT_MS}),)))

    first, again = accept(body).events, accept(body).events
    [different] = accept(other).events

    assert [e.external_id for e in first] == [e.external_id for e in again]
    assert first[0].external_id.startswith("delivery:") and first[1].external_id.startswith("read:")
    assert different.external_id != first[0].external_id


def test_an_edit_does_not_take_the_id_of_the_comment_it_edits():
    [added] = accept(delivery("page", entry(changes=(feed_comment("add"),)))).events
    [edited] = accept(delivery("page", entry(changes=(feed_comment("edited"),)))).events
    assert added.external_id != edited.external_id


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(sign(delivery("page", entry(messaging=(text("I was overcharged"),)))), id="body-changed-after-signing"),
        pytest.param(sign(delivery("page", entry(messaging=(text(),))), secret="another-app"), id="another-app-secret"),
        pytest.param(sign(delivery("page", entry(messaging=(text(),)))).removeprefix("sha256="), id="without-sha256-prefix"),
        pytest.param("sha1=" + hmac.new(APP_SECRET.encode(), delivery("page", entry(messaging=(text(),))), hashlib.sha1).hexdigest(), id="sha1"),
        pytest.param("", id="missing"),
    ],
)
def test_a_forged_or_missing_signature_is_refused(signature: str):
    with pytest.raises(SignatureInvalid):
        accept(delivery("page", entry(messaging=(text(),))), signature)


def test_a_channel_without_app_secret_refuses_everything():
    body = delivery("page", entry(messaging=(text(),)))
    unset = ChannelConfig(kind="messenger", name="page", secrets={"page_access_token": PAGE_TOKEN})
    with pytest.raises(SignatureInvalid):
        accept(body, sign(body, secret=""), unset)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"object": "page", "entry": [', id="not-json"),
        pytest.param(b'{"object": "page"}', id="no-entry"),
        pytest.param(b'{"object": "user", "entry": []}', id="an-object-we-do-not-handle"),
        pytest.param(b'"page"', id="not-an-object"),
    ],
)
def test_a_signed_but_unreadable_body_is_malformed(body: bytes):
    with pytest.raises(MalformedPayload):
        accept(body)


def test_the_url_check_echoes_the_challenge_for_our_verify_token():
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert ADAPTER.verify_url(OFFLINE, query) == b"1158201444"


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"hub.mode": "subscribe", "hub.verify_token": "guessed", "hub.challenge": "1"}, id="wrong-token"),
        pytest.param({"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"}, id="wrong-mode"),
        pytest.param({"hub.mode": "subscribe", "hub.challenge": "1"}, id="no-token"),
        pytest.param({"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "<script>x</script>"}, id="not-a-plain-challenge"),
    ],
)
def test_a_forged_url_check_is_refused(query: dict[str, str]):
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_url(OFFLINE, query)


def test_a_channel_without_verify_token_refuses_the_url_check():
    unset = ChannelConfig(kind="messenger", name="page", secrets={"app_secret": APP_SECRET})
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_url(unset, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})


# --- parse -------------------------------------------------------------------------------


def test_a_messenger_text_is_a_customer_message():
    assert parse_one(delivery("page", entry(messaging=(text(),)))) == CustomerMessage(
        external_id="m_AAA1", contact=Contact(kind="messenger", handle=PSID), text="My order arrived broken.",
        sent_at=NOW, channel="messenger",
    )


def test_an_instagram_text_is_an_instagram_message():
    parsed = parse_one(delivery("instagram", entry(IG_ID, messaging=(text(sender=IGSID, owner=IG_ID),))))
    assert isinstance(parsed, CustomerMessage)
    assert (parsed.channel, parsed.contact) == ("instagram", Contact(kind="instagram", handle=IGSID))


def test_attachments_are_fetched_from_their_url_and_links_only_noted():
    attachments = [
        {"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/photo-1"}},
        {"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/sticker", "sticker_id": 369239263222822}},
        {"type": "fallback", "title": "Our menu", "payload": {"url": "https://example.com/menu"}},
    ]
    parsed = parse_one(delivery("page", entry(messaging=(item(message={"mid": "m_ATT", "attachments": attachments}),))))

    assert isinstance(parsed, CustomerMessage)
    assert parsed.text == "[image] [sticker] [link]"
    assert parsed.attachments == (
        AttachmentIn(kind="image", media_ref="https://lookaside.fbsbx.com/photo-1"),
        AttachmentIn(kind="sticker", media_ref="https://lookaside.fbsbx.com/sticker"),
        AttachmentIn(kind="link", note="Our menu https://example.com/menu"),
    )


@pytest.mark.parametrize(
    "messaging",
    [
        pytest.param(item(sender=PAGE_ID, owner=PSID, message={"mid": "m_OUR", "text": "Hello", "is_echo": True, "app_id": 1}), id="echo"),
        pytest.param(item(sender=PAGE_ID, owner=PSID, message={"mid": "m_OUR2", "text": "Hello"}), id="from-the-page-without-echo-flag"),
        pytest.param(item(message={"mid": "m_GONE", "is_deleted": True}), id="unsent"),
        pytest.param(item(read={"watermark": SENT_MS}), id="messenger-read-names-no-message"),
        pytest.param(item(reaction={"mid": "m_OUT1", "action": "react", "reaction": "angry", "emoji": "😡"}), id="reaction"),
    ],
)
def test_items_needing_no_case_are_nothing(messaging: dict[str, Any]):
    assert isinstance(parse_one(delivery("page", entry(messaging=(messaging,)))), Nothing)


def test_a_postback_is_a_contact_event():
    body = delivery("page", entry(messaging=(item(postback={"mid": "m_PB1", "title": "Track order", "payload": "TRACK_ORDER"}),)))
    assert parse_one(body) == ContactEvent(contact=Contact(kind="messenger", handle=PSID), action="postback", at=NOW, detail="TRACK_ORDER")


def test_a_delivery_receipt_names_our_messages():
    body = delivery("page", entry(messaging=(item(delivery={"mids": ["m_OUT1", "m_OUT2"], "watermark": SENT_MS - 5000}),)))
    assert parse_one(body) == DeliveryReceipt(platform_message_ids=("m_OUT1", "m_OUT2"), status="delivered", at=NOW - timedelta(seconds=5))


def test_an_instagram_read_receipt_names_the_message():
    body = delivery("instagram", entry(IG_ID, messaging=(item(sender=IGSID, owner=IG_ID, read={"mid": "m_OUT1"}),)))
    assert parse_one(body) == DeliveryReceipt(platform_message_ids=("m_OUT1",), status="read", at=NOW)


def test_a_page_comment_is_a_public_message_to_answer_under_it():
    assert parse_one(delivery("page", entry(changes=(feed_comment(),)))) == CustomerMessage(
        external_id="104000000000001_998877",
        contact=Contact(kind="messenger", handle="24000000000001", display_name="Wang Da-ming"),
        text="Worst service ever.", sent_at=NOW, channel="messenger", is_public=True,
        public_reply_target="104000000000001_998877",
    )


def test_a_comment_carrying_a_follower_count_gives_the_authors_reach():
    author = {"id": "24000000000001", "name": "Food Critic", "followers_count": 125000}
    parsed = parse_one(delivery("page", entry(changes=(feed_comment(author=author),))))
    assert isinstance(parsed, CustomerMessage)
    assert parsed.contact.reach == 125000


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(feed_comment("edited"), id="edited"),
        pytest.param(feed_comment("remove"), id="removed"),
        pytest.param(feed_comment(author={"id": PAGE_ID, "name": "Our Page"}), id="the-pages-own-comment"),
        pytest.param({"field": "feed", "value": {"item": "reaction", "verb": "add", "reaction_type": "angry"}}, id="reaction"),
    ],
)
def test_feed_changes_needing_no_case_are_nothing(change: dict[str, Any]):
    assert isinstance(parse_one(delivery("page", entry(changes=(change,)))), Nothing)


def test_an_instagram_comment_is_a_public_message_from_the_username():
    body = delivery("instagram", entry(IG_ID, changes=(ig_comment(),), time=1772366400))
    assert parse_one(body) == CustomerMessage(
        external_id="17900000000000001", contact=Contact(kind="instagram", handle=IGSID, display_name="foodie.tw"),
        text="Still waiting for my refund!", sent_at=NOW, channel="instagram", is_public=True,
        public_reply_target="17900000000000001",
    )


def test_the_instagram_accounts_own_comment_is_nothing():
    body = delivery("instagram", entry(IG_ID, changes=(ig_comment({"id": IG_ID, "username": "our.brand"}),), time=1772366400))
    assert isinstance(parse_one(body), Nothing)


# --- the reply windows -------------------------------------------------------------------


def customer(age: timedelta | None, kind: str = "messenger", **kw: Any) -> Recipient:
    return Recipient(handle=PSID, kind=kind, last_inbound_at=None if age is None else NOW - age, **kw)


def reply(words: str = "We are sorry; a replacement is on its way.", **kw: Any) -> OutgoingMessage:
    return OutgoingMessage(text=words, case_number="C-2026-000123", retry_key="k", **kw)


def sent(answer: str = "m_REPLY1") -> tuple[int, dict[str, str]]:
    return 200, {"recipient_id": PSID, "message_id": answer}


@pytest.mark.parametrize(
    ("age", "how"),
    [
        (timedelta(hours=24) - timedelta(seconds=1), {"messaging_type": "RESPONSE"}),
        (timedelta(hours=24), {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
        (timedelta(days=7) - timedelta(seconds=1), {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}),
    ],
    ids=["just-inside-24h", "at-24h", "just-inside-7-days"],
)
def test_a_reply_is_a_response_for_24_hours_then_a_human_agents_for_7_days(channel, fake_platform, age, how):
    fake_platform.route("POST", "/me/messages", sent())

    result = ADAPTER.send(channel, customer(age), reply())

    assert result == SendResult(platform_message_id="m_REPLY1", mode="send_api")
    [call] = fake_platform.requests
    assert call.json() == {"recipient": {"id": PSID}, "message": {"text": "We are sorry; a replacement is on its way."}, **how}


def test_at_7_days_nothing_is_sent_and_the_agent_is_told_why(channel, fake_platform):
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(timedelta(days=7)), reply())

    assert (refused.value.retry, refused.value.code) == (False, "window_closed")
    assert "another way" in refused.value.message
    assert fake_platform.requests == []


def test_the_reply_window_problem_starts_at_7_days():
    assert ADAPTER.reply_window_problem(customer(timedelta(days=7) - timedelta(seconds=1)), NOW) == ""
    problem = ADAPTER.reply_window_problem(customer(timedelta(days=7)), NOW)
    assert "Messenger" in problem and "7 days" in problem and "another way" in problem
    assert "Instagram" in ADAPTER.reply_window_problem(customer(timedelta(days=8), kind="instagram"), NOW)


def test_a_public_reply_or_an_unknown_last_message_has_no_window_problem():
    assert ADAPTER.reply_window_problem(customer(timedelta(days=30), public=True), NOW) == ""
    assert ADAPTER.reply_window_problem(customer(None), NOW) == ""


def test_a_response_meta_finds_just_too_late_is_sent_again_as_a_human_agents(channel, fake_platform):
    def graph(request):
        if request.json()["messaging_type"] == "RESPONSE":
            return 400, {"error": {"message": "(#10) This message is sent outside of allowed window.", "type": "OAuthException", "code": 10, "error_subcode": 2018278}}
        return sent("m_TAGGED")
    fake_platform.route("POST", "/me/messages", graph)

    result = ADAPTER.send(channel, customer(timedelta(hours=24) - timedelta(milliseconds=10)), reply())

    assert result.platform_message_id == "m_TAGGED"
    assert [r.json()["messaging_type"] for r in fake_platform.requests] == ["RESPONSE", "MESSAGE_TAG"]


def test_without_the_customers_last_message_time_no_tag_is_tried(channel, fake_platform):
    # Tagging a message whose window nobody knows could break Meta's policy.
    outside = {"error": {"message": "(#10) This message is sent outside of allowed window.", "code": 10, "error_subcode": 2018278}}
    fake_platform.route("POST", "/me/messages", (400, outside))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(None), reply())

    assert refused.value.code == "window_closed"
    assert len(fake_platform.requests) == 1


# --- sending -----------------------------------------------------------------------------


def test_the_page_token_travels_in_a_header_never_in_the_url(channel, fake_platform):
    fake_platform.route("POST", "/me/messages", sent())

    ADAPTER.send(channel, customer(timedelta(hours=1)), reply())

    [call] = fake_platform.requests
    assert call.headers["authorization"] == f"Bearer {PAGE_TOKEN}"
    assert "access_token" not in call.query
    assert call.query["appsecret_proof"] == [hmac.new(APP_SECRET.encode(), PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()]


def test_a_public_reply_to_a_facebook_comment(channel, fake_platform):
    fake_platform.route("POST", "/104000000000001_998877/comments", (200, {"id": "104000000000001_998900"}))
    target = Recipient(handle="104000000000001_998877", kind="comment", public=True)

    result = ADAPTER.send(channel, target, reply())

    assert result == SendResult(platform_message_id="104000000000001_998900", mode="comment")
    assert fake_platform.requests[0].json() == {"message": "We are sorry; a replacement is on its way."}


def test_a_public_reply_to_an_instagram_comment(channel, fake_platform):
    fake_platform.route("POST", "/17900000000000001/replies", (200, {"id": "17900000000000002"}))
    target = Recipient(handle="17900000000000001", kind="comment", public=True)

    assert ADAPTER.send(channel, target, reply()) == SendResult(platform_message_id="17900000000000002", mode="comment")


def test_a_private_reply_to_a_comment_goes_to_its_authors_inbox(channel, fake_platform):
    fake_platform.route("POST", "/me/messages", sent("m_PRIVATE"))
    target = Recipient(handle="104000000000001_998877", kind="comment", last_inbound_at=NOW - timedelta(days=2))

    result = ADAPTER.send(channel, target, reply())

    assert result == SendResult(platform_message_id="m_PRIVATE", mode="private_reply")
    assert fake_platform.requests[0].json() == {
        "recipient": {"comment_id": "104000000000001_998877"}, "message": {"text": "We are sorry; a replacement is on its way."},
    }


def test_a_private_reply_to_a_comment_older_than_7_days_is_refused(channel, fake_platform):
    target = Recipient(handle="104000000000001_998877", kind="comment", last_inbound_at=NOW - timedelta(days=7))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, target, reply())

    assert (refused.value.retry, refused.value.code) == (False, "window_closed")
    assert fake_platform.requests == []


def test_a_long_reply_is_sent_in_pieces(channel, fake_platform):
    fake_platform.route("POST", "/me/messages", lambda r: sent(f"m_{len(fake_platform.requests)}"))
    words = ("word " * 900).strip()  # 4,499 characters

    result = ADAPTER.send(channel, customer(timedelta(hours=1)), reply(words))

    pieces = [r.json()["message"]["text"] for r in fake_platform.requests]
    assert len(pieces) == 3 and all(len(p) <= TEXT_LIMIT for p in pieces)
    assert "".join(pieces) == words
    assert result == SendResult(platform_message_id="m_1", mode="send_api")


def test_files_are_refused_before_calling_meta(channel, fake_platform):
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(timedelta(hours=1)), reply(attachments=(AttachmentIn(kind="image", content=b"x"),)))
    assert refused.value.retry is False
    assert fake_platform.requests == []


def graph_error(code: int, subcode: int | None = None, **extra: Any) -> dict[str, Any]:
    error = {"message": f"(#{code}) refused", "type": "OAuthException", "code": code, "fbtrace_id": "A1", **extra}
    if subcode:
        error["error_subcode"] = subcode
    return {"error": error}


@pytest.mark.parametrize(
    ("status", "answer", "retry", "code"),
    [
        pytest.param(400, graph_error(10, 2018278), False, "window_closed", id="outside-window"),
        pytest.param(400, graph_error(551, 1545041), False, "unavailable", id="person-unavailable"),
        pytest.param(400, graph_error(190, 463), False, "token_expired", id="token-expired"),
        pytest.param(400, graph_error(4), True, "rate_limited", id="app-rate-limit"),
        pytest.param(400, graph_error(17), True, "rate_limited", id="user-rate-limit"),
        pytest.param(400, graph_error(32), True, "rate_limited", id="page-rate-limit"),
        pytest.param(400, graph_error(613), True, "rate_limited", id="calls-rate-limit"),
        pytest.param(500, graph_error(2, is_transient=True), True, "platform", id="temporary"),
        pytest.param(503, {}, True, "platform", id="5xx-without-body"),
        pytest.param(400, graph_error(100, 2018001), False, "not_found", id="no-matching-user"),
        pytest.param(403, graph_error(200, 2018028), False, "permission", id="permission"),
    ],
)
def test_graph_errors_in_plain_words_with_the_right_retry(channel, fake_platform, status, answer, retry, code):
    fake_platform.route("POST", "/me/messages", (status, answer))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, customer(timedelta(hours=1)), reply())

    assert (refused.value.retry, refused.value.code) == (retry, code)
    assert "(#" not in refused.value.message  # Meta's own wording is not shown to the agent


# --- profile and media -------------------------------------------------------------------


def test_a_messenger_profile_gives_the_name(channel, fake_platform):
    fake_platform.route("GET", f"/{PSID}", (200, {"name": "Wang Da-ming", "id": PSID}))

    assert ADAPTER.fetch_profile(channel, Contact(kind="messenger", handle=PSID)) == Profile(display_name="Wang Da-ming")
    assert fake_platform.requests[0].query["fields"] == ["name"]


def test_an_instagram_profile_gives_the_username_and_reach(channel, fake_platform):
    fake_platform.route("GET", f"/{IGSID}", (200, {"username": "foodie.tw", "name": "Foodie", "follower_count": 5300}))

    assert ADAPTER.fetch_profile(channel, Contact(kind="instagram", handle=IGSID)) == Profile(display_name="foodie.tw", reach=5300)
    assert fake_platform.requests[0].query["fields"] == ["username,name,follower_count"]


def test_a_profile_meta_will_not_show_is_none_but_a_dead_token_is_raised(channel, fake_platform):
    fake_platform.route("GET", f"/{PSID}", (400, graph_error(100, 33)))
    assert ADAPTER.fetch_profile(channel, Contact(kind="messenger", handle=PSID)) is None

    fake_platform.route("GET", f"/{PSID}", (400, graph_error(190)))
    with pytest.raises(DeliveryError):
        ADAPTER.fetch_profile(channel, Contact(kind="messenger", handle=PSID))


def test_media_is_fetched_from_its_url_without_our_token(channel, fake_platform):
    fake_platform.route("GET", "/cdn/photo-1", (200, b"jpeg bytes"))

    content, content_type = ADAPTER.fetch_media(channel, f"{fake_platform.url}/cdn/photo-1", max_bytes=1024)

    assert (content, content_type) == (b"jpeg bytes", "application/octet-stream")
    assert "authorization" not in fake_platform.requests[0].headers


def test_media_over_the_limit_is_refused(channel, fake_platform):
    fake_platform.route("GET", "/cdn/video-1", (200, b"0123456789"))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.fetch_media(channel, f"{fake_platform.url}/cdn/video-1", max_bytes=9)

    assert (refused.value.retry, refused.value.code) == (False, "too_large")


def test_an_expired_media_link_is_not_retried(channel, fake_platform):
    fake_platform.route("GET", "/cdn/old", (404, {}))

    with pytest.raises(DeliveryError) as refused:
        ADAPTER.fetch_media(channel, f"{fake_platform.url}/cdn/old", max_bytes=1024)

    assert (refused.value.retry, refused.value.code) == (False, "gone")
