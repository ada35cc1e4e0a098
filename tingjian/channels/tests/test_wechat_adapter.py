"""The WeChat Official Account adapter, against what WeChat really sends.

Signatures and ciphertexts come from wechatpy (a WeChat SDK independent of our code) and
from the test vectors Tencent published with its WXBizMsgCrypt sample code, so our code
cannot agree with itself on a wrong answer. HTTP goes to the local fake platform only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from tingjian.channels.adapters import get_adapter
from tingjian.channels.adapters.base import (
    AttachmentIn,
    ChannelConfig,
    Contact,
    ContactEvent,
    CustomerMessage,
    IncomingEvent,
    MalformedPayload,
    Nothing,
    SignatureInvalid,
)
from tingjian.channels.adapters.wechat import ADAPTER, MessageCipher

from .wechat_requests import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    NONCE,
    OPENID,
    TEXT,
    TIMESTAMP,
    TOKEN,
    VECTOR_ENCRYPT,
    VECTOR_MSG_SIGNATURE,
    VECTOR_NONCE,
    VECTOR_SIGNATURE,
    VECTOR_TIMESTAMP,
    accept_one,
    channel,
    encrypted_delivery,
    event_xml,
    message_xml,
    parse_one,
    plain_delivery,
    wechat_signature,
)

# --- Registration -------------------------------------------------------------------------


def test_adapter_is_registered_under_wechat_with_its_keys() -> None:
    adapter = get_adapter("wechat")
    assert adapter is ADAPTER
    assert adapter.kind == "wechat"
    assert set(adapter.secret_keys) == {"app_secret", "token", "encoding_aes_key"}
    assert set(adapter.config_keys) == {"app_id", "encoding_mode", "auto_reply"}
    assert adapter.api_base_setting == "TINGJIAN_WECHAT_API_BASE"


# --- URL verification ---------------------------------------------------------------------


def test_url_check_answers_echostr_for_tencents_published_signature() -> None:
    query = {"signature": VECTOR_SIGNATURE, "timestamp": VECTOR_TIMESTAMP, "nonce": VECTOR_NONCE, "echostr": "4075181314397890557"}
    assert ADAPTER.verify_url(channel(), query) == b"4075181314397890557"


def test_url_check_answers_echostr_signed_by_wechatpy() -> None:
    query = {"signature": wechat_signature(TOKEN, TIMESTAMP, NONCE), "timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "shr5ch"}
    assert ADAPTER.verify_url(channel("safe"), query) == b"shr5ch"


@pytest.mark.parametrize(
    "query",
    [
        {"signature": "0" * 40, "timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "x1"},
        {"timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "x1"},
        # Right signature for another timestamp: a replayed check with a new time.
        {"signature": wechat_signature(TOKEN, TIMESTAMP, NONCE), "timestamp": "1767225601", "nonce": NONCE, "echostr": "x1"},
        # echostr is not signed: a replayed signature must not make us echo markup.
        {"signature": wechat_signature(TOKEN, TIMESTAMP, NONCE), "timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "<script>alert(1)</script>"},
    ],
    ids=["forged", "missing", "other-timestamp", "markup-echostr"],
)
def test_url_check_refuses_forged_or_missing_signature(query: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_url(channel(), query)


def test_url_check_refuses_everything_when_the_channel_has_no_token() -> None:
    # With no token, sha1(timestamp + nonce) is something anyone can compute.
    no_token = ChannelConfig(kind="wechat", name="x", config={"app_id": APP_ID})
    query = {"signature": wechat_signature("", TIMESTAMP, NONCE), "timestamp": TIMESTAMP, "nonce": NONCE, "echostr": "x1"}
    with pytest.raises(SignatureInvalid):
        ADAPTER.verify_url(no_token, query)


# --- Accepting deliveries -----------------------------------------------------------------


def test_plain_mode_delivery_is_one_event_keyed_by_msgid() -> None:
    body, query = plain_delivery(TEXT)
    accepted = ADAPTER.accept(channel("plain"), body, {}, query)
    assert accepted.response_body == b"success"
    [event] = accepted.events
    assert event.external_id == "24409393281536001"
    assert event.payload == body
    assert event.content_type == "application/xml"


def test_safe_mode_decrypts_wechatpy_ciphertext() -> None:
    body, query = encrypted_delivery(TEXT, mode="safe")
    assert "便當".encode() not in body
    [event] = ADAPTER.accept(channel("safe"), body, {}, query).events
    assert event.external_id == "24409393281536001"
    assert event.payload == TEXT.encode()


def test_compatible_mode_trusts_the_encrypted_copy_not_the_plain_fields() -> None:
    body, query = encrypted_delivery(TEXT, mode="compatible")
    # Someone rewrote the plain copy in transit; the signature does not cover it.
    forged = body.replace("便當裡有頭髮，請處理".encode(), "退款給我".encode(), 1)
    [event] = ADAPTER.accept(channel("compatible"), forged, {}, query).events
    assert event.payload == TEXT.encode()
    [message] = ADAPTER.parse(channel("compatible"), event)
    assert isinstance(message, CustomerMessage)
    assert message.text == "便當裡有頭髮，請處理"


def test_compatible_mode_accepts_a_plain_body() -> None:
    body, query = plain_delivery(TEXT)
    [event] = ADAPTER.accept(channel("compatible"), body, {}, query).events
    assert event.external_id == "24409393281536001"


def test_tencents_published_ciphertext_decrypts_to_the_published_message() -> None:
    body = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
        "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content>"
        f"<MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>"
    ).encode()
    query = {"signature": VECTOR_SIGNATURE, "msg_signature": VECTOR_MSG_SIGNATURE, "timestamp": VECTOR_TIMESTAMP, "nonce": VECTOR_NONCE}
    [event] = ADAPTER.accept(channel("safe"), body, {}, query).events
    assert event.external_id == "6054768590064713728"
    [message] = ADAPTER.parse(channel("safe"), event)
    assert isinstance(message, CustomerMessage)
    assert message.text == "abcdteT"
    assert message.contact.handle == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.sent_at == datetime.fromtimestamp(1409735668, tz=UTC)


def test_cipher_matches_tencents_published_encryption() -> None:
    # WXBizMsgCryptTest: this key, appid and 16-byte prefix give exactly this ciphertext.
    cipher = MessageCipher(AES_KEY)
    published = "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    made = cipher.encrypt("我是中文abcd123".encode(), "wxb11529c136998cb6", random_prefix=b"aaaabbbbccccdddd")
    assert made == published
    assert cipher.decrypt(published) == ("我是中文abcd123".encode(), "wxb11529c136998cb6")


def test_wrong_signature_is_refused() -> None:
    body, query = plain_delivery(TEXT)
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("plain"), body, {}, {**query, "signature": wechat_signature("other-token", TIMESTAMP, NONCE)})


def test_wrong_msg_signature_is_refused() -> None:
    body, query = encrypted_delivery(TEXT)
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("safe"), body, {}, {**query, "msg_signature": wechat_signature(TOKEN, TIMESTAMP, NONCE, "x")})


def test_safe_mode_refuses_a_forged_signature_beside_a_good_msg_signature() -> None:
    body, query = encrypted_delivery(TEXT)
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("safe"), body, {}, {**query, "signature": "0" * 40})


def test_missing_msg_signature_is_refused_in_compatible_mode() -> None:
    body, query = encrypted_delivery(TEXT, mode="compatible")
    del query["msg_signature"]
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("compatible"), body, {}, query)


def test_ciphertext_for_another_appid_is_refused() -> None:
    body, query = encrypted_delivery(TEXT, app_id="wx0000000000000000")
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("safe"), body, {}, query)


def test_ciphertext_under_another_key_is_refused_even_with_a_valid_msg_signature() -> None:
    # Whoever knows the token can sign; only WeChat knows the EncodingAESKey.
    body, query = encrypted_delivery(TEXT, aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut")
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("safe"), body, {}, query)


def test_safe_mode_refuses_an_unencrypted_body() -> None:
    body, query = plain_delivery(TEXT)
    with pytest.raises(SignatureInvalid):
        ADAPTER.accept(channel("safe"), body, {}, query)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&d;</Content><MsgId>1</MsgId></xml>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY leak SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&leak;</Content><MsgId>1</MsgId></xml>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
        # An external DTD: the out-of-band XXE trick, no entity in sight.
        '<!DOCTYPE xml SYSTEM "http://attacker.example/x.dtd">' + TEXT,
        "\x00\x01 definitely not xml",
        TEXT[:60],
        "<html><body>proxy error</body></html>",
        "<xml><MsgType>text</MsgType><Content>no sender</Content></xml>",
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "garbage", "truncated", "not-wechat-root", "no-sender"],
)
def test_unreadable_or_hostile_xml_is_malformed(body: str) -> None:
    signed_body, query = plain_delivery(body)
    with pytest.raises(MalformedPayload):
        ADAPTER.accept(channel("plain"), signed_body, {}, query)


def test_hostile_xml_inside_the_ciphertext_is_malformed_too() -> None:
    body, query = encrypted_delivery(EXTERNAL_ENTITY)
    with pytest.raises(MalformedPayload):
        ADAPTER.accept(channel("safe"), body, {}, query)


def test_event_ids_tell_events_apart_and_repeat_for_wechats_retries() -> None:
    subscribe = accept_one(event_xml("subscribe"))
    retried = accept_one(event_xml("subscribe"))
    click = accept_one(event_xml("CLICK", "MENU_COMPLAINT"))
    assert subscribe.external_id == f"{OPENID}:1767225600:subscribe"
    assert retried.external_id == subscribe.external_id
    assert click.external_id != subscribe.external_id


# --- Parsing ------------------------------------------------------------------------------


def test_text_message_is_what_the_customer_wrote() -> None:
    message = parse_one(TEXT)
    assert message == CustomerMessage(
        external_id="24409393281536001", contact=Contact(kind="wechat_openid", handle=OPENID),
        text="便當裡有頭髮，請處理", sent_at=datetime(2026, 1, 1, tzinfo=UTC), channel="wechat",
    )


@pytest.mark.parametrize(
    ("xml", "text", "attachments"),
    [
        (
            message_xml("image", "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x.jpg]]></PicUrl><MediaId><![CDATA[media_img_1]]></MediaId>"),
            "[image]", (AttachmentIn(kind="image", media_ref="media_img_1"),),
        ),
        (
            message_xml("voice", "<MediaId><![CDATA[media_voice_1]]></MediaId><Format><![CDATA[amr]]></Format>"),
            "[voice]", (AttachmentIn(kind="audio", media_ref="media_voice_1", filename="voice.amr"),),
        ),
        (
            message_xml("voice", "<MediaId><![CDATA[media_voice_2]]></MediaId><Format><![CDATA[speex]]></Format><Recognition><![CDATA[湯是冷的]]></Recognition>"),
            "[voice] 湯是冷的", (AttachmentIn(kind="audio", media_ref="media_voice_2", filename="voice.speex"),),
        ),
        (
            message_xml("video", "<MediaId><![CDATA[media_video_1]]></MediaId><ThumbMediaId><![CDATA[thumb_1]]></ThumbMediaId>"),
            "[video]", (AttachmentIn(kind="video", media_ref="media_video_1"),),
        ),
        (
            message_xml("shortvideo", "<MediaId><![CDATA[media_video_2]]></MediaId><ThumbMediaId><![CDATA[thumb_2]]></ThumbMediaId>"),
            "[video]", (AttachmentIn(kind="video", media_ref="media_video_2"),),
        ),
        (
            message_xml("location", "<Location_X>25.033</Location_X><Location_Y>121.565</Location_Y><Scale>20</Scale><Label><![CDATA[台北101]]></Label>"),
            "[location] 25.033,121.565 台北101", (AttachmentIn(kind="location", note="25.033,121.565 台北101 (map scale 20)"),),
        ),
        (
            message_xml("link", "<Title><![CDATA[門市公告]]></Title><Description><![CDATA[營業時間調整]]></Description><Url><![CDATA[https://example.com/n/1]]></Url>"),
            "[link] 門市公告 — https://example.com/n/1\n營業時間調整", (AttachmentIn(kind="link", note="https://example.com/n/1"),),
        ),
    ],
    ids=["image", "voice", "voice-recognised", "video", "shortvideo", "location", "link"],
)
def test_non_text_message_reads_plainly_and_names_its_media(xml: str, text: str, attachments: tuple[AttachmentIn, ...]) -> None:
    message = parse_one(xml)
    assert isinstance(message, CustomerMessage)
    assert message.text == text
    assert message.attachments == attachments
    assert message.external_id == "24409393281536002"
    assert message.contact == Contact(kind="wechat_openid", handle=OPENID)
    assert message.channel == "wechat"


def test_a_message_kind_wechat_adds_later_still_reaches_the_agent() -> None:
    message = parse_one(message_xml("miniprogrampage", "<Title><![CDATA[x]]></Title>"))
    assert isinstance(message, CustomerMessage)
    assert message.text == "[miniprogrampage]"


@pytest.mark.parametrize(
    ("event", "key", "action"),
    [
        ("subscribe", "", "follow"),
        ("subscribe", "qrscene_store_042", "follow"),
        ("unsubscribe", "", "unfollow"),
        ("CLICK", "MENU_COMPLAINT", "click"),
        ("VIEW", "https://example.com/complaint", "click"),
    ],
)
def test_follow_unfollow_and_menu_events_are_contact_events(event: str, key: str, action: str) -> None:
    parsed = parse_one(event_xml(event, key))
    assert parsed == ContactEvent(
        contact=Contact(kind="wechat_openid", handle=OPENID), action=action,
        at=datetime(2026, 1, 1, tzinfo=UTC), detail=key,
    )


@pytest.mark.parametrize("event", ["SCAN", "LOCATION", "TEMPLATESENDJOBFINISH"])
def test_other_events_need_no_action(event: str) -> None:
    parsed = parse_one(event_xml(event, "123"))
    assert isinstance(parsed, Nothing)
    assert event in parsed.reason


def test_parse_refuses_a_stored_payload_without_a_readable_time() -> None:
    stored = IncomingEvent(external_id="1", payload=TEXT.replace("1767225600", "yesterday").encode(), content_type="application/xml")
    with pytest.raises(MalformedPayload):
        ADAPTER.parse(channel(), stored)


# --- Passive reply ------------------------------------------------------------------------


AUTO_REPLY = "已收到您的意見，案件編號 C-2026-000123。]]> <b>"


@pytest.mark.parametrize("mode", ["safe", "compatible"])
def test_passive_reply_is_encrypted_and_signed_so_wechatpy_reads_it(mode: str) -> None:
    event = accept_one(TEXT, mode)
    body, content_type = ADAPTER.passive_reply(channel(mode), event, AUTO_REPLY, {"nonce": NONCE, "timestamp": TIMESTAMP})
    assert "xml" in content_type
    assert b"C-2026" not in body
    envelope = xmltodict.parse(body)["xml"]
    assert envelope["Nonce"] == NONCE
    # wechatpy checks MsgSignature against the token and the appid inside the ciphertext.
    plain = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], NONCE)
    reply = xmltodict.parse(plain)["xml"]
    assert reply["ToUserName"] == OPENID
    assert reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text"
    assert reply["Content"] == AUTO_REPLY


def test_passive_reply_signed_with_another_token_fails_wechats_check() -> None:
    event = accept_one(TEXT, "safe")
    body, _ = ADAPTER.passive_reply(channel("safe"), event, "ok", {"nonce": NONCE})
    envelope = xmltodict.parse(body)["xml"]
    with pytest.raises(InvalidSignatureException):
        WeChatCrypto("not-our-token", AES_KEY, APP_ID).decrypt_message(body, envelope["MsgSignature"], envelope["TimeStamp"], NONCE)


def test_passive_reply_in_plain_mode_is_readable_xml_to_the_sender() -> None:
    event = accept_one(TEXT, "plain")
    body, _ = ADAPTER.passive_reply(channel("plain"), event, AUTO_REPLY, {"nonce": NONCE})
    reply = xmltodict.parse(body)["xml"]
    assert (reply["ToUserName"], reply["FromUserName"], reply["MsgType"]) == (OPENID, ACCOUNT, "text")
    assert reply["Content"] == AUTO_REPLY
    assert "Encrypt" not in reply


