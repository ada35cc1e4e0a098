"""The WeChat adapter's calls to WeChat: sending, the 48-hour window, profiles and media.

HTTP goes to the local fake platform only; error codes are WeChat's documented ones.
"""


import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tingjian.channels.adapters.base import (
    AttachmentIn,
    Contact,
    DeliveryError,
    OutgoingMessage,
    Profile,
    Recipient,
)
from tingjian.channels.adapters.wechat import ADAPTER

from .fakeplatform import FakePlatform, Recorded
from .wechat_requests import (
    APP_ID,
    OPENID,
    channel,
)

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
