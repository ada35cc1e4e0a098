"""A webhook end to end: verify, store once, file, answer on the same channel — and bad input.

WeChat in safe mode stands for every webhook channel here: requests are encrypted and
signed by wechatpy, the platform's own SDK, exactly as WeChat's servers would send them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tingjian import clock
from tingjian.cases.models import Case, DeliveryStatus, Message
from tingjian.channels import outbound, pipeline, services
from tingjian.channels.models import (
    Channel,
    Contact,
    EventStatus,
    InboundEvent,
    OutboundDelivery,
    QuarantinedRequest,
)

from .fakeplatform import FakePlatform

pytestmark = pytest.mark.django_db

TOKEN, AES_KEY, APP_ID = "hookToken2026", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
NOW = "2026-11-23T10:00:00+08:00"


def text_xml(text: str, msg_id: str, created: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


@pytest.fixture
def wechat(settings: Any, fake_platform: FakePlatform) -> Channel:
    settings.TINGJIAN_WECHAT_API_BASE = fake_platform.url
    return services.create_channel(
        kind="wechat", name="hsg", display_name="好食光 WeChat", by=None,
        values={"app_id": APP_ID, "encoding_mode": "safe", "app_secret": "app-secret", "token": TOKEN, "encoding_aes_key": AES_KEY},
    )


def post(client: Client, xml: str, *, tamper: bool = False, nonce: str = "1320562132") -> Any:
    timestamp = str(int(clock.now().timestamp()))
    body = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, timestamp)
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    query = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "openid": OPENID, "encrypt_type": "aes"}
    import re

    query["msg_signature"] = re.search(r"<MsgSignature><!\[CDATA\[(\w+)\]\]>", body).group(1)  # type: ignore[union-attr]
    if tamper:
        query["msg_signature"] = "0" * 40
    return client.post(f"/hooks/wechat/hsg/?{urlencode(query)}", body, content_type="text/xml")


def test_a_safe_mode_message_becomes_a_case_and_a_redelivery_changes_nothing(wechat: Channel, client: Client) -> None:
    with time_machine.travel(NOW, tick=False):
        first = post(client, text_xml("便當裡有頭髮", "2440939328153600", int(clock.now().timestamp())))
        again = post(client, text_xml("便當裡有頭髮", "2440939328153600", int(clock.now().timestamp())), nonce="99")
    assert first.status_code == again.status_code == 200 and first.content == b"success"
    event = InboundEvent.objects.get()
    assert pipeline.ingest(event.pk).startswith("opened")
    case = Case.objects.get()
    assert case.origin_channel == "wechat" and case.messages.get().body == "便當裡有頭髮"
    assert case.customer.identities.get().kind == "wechat_openid"


def test_the_agent_replies_on_wechat_within_48_hours_and_is_told_why_not_after(wechat: Channel, client: Client, fake_platform: FakePlatform, users: dict[str, Any]) -> None:
    fake_platform.route("GET", "/cgi-bin/token", (200, {"access_token": "tok-1", "expires_in": 7200}))
    fake_platform.route("POST", "/cgi-bin/message/custom/send", (200, {"errcode": 0, "errmsg": "ok"}))
    with time_machine.travel(NOW, tick=False):
        post(client, text_xml("湯是冷的", "1001", int(clock.now().timestamp())))
        pipeline.ingest(InboundEvent.objects.get().pk)
        case = Case.objects.get()
        message = outbound.send_reply(case, body="很抱歉，我們立即處理。", by=users["agent"])
        assert message.delivery_status == DeliveryStatus.QUEUED and message.channel == "wechat"
        assert outbound.deliver(OutboundDelivery.objects.get().pk) == "sent (customer_service)"
    sent = fake_platform.calls("/cgi-bin/message/custom/send")[0].json()
    assert sent["touser"] == OPENID and sent["text"]["content"] == "很抱歉，我們立即處理。"
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    with time_machine.travel(clock.now() + timedelta(hours=49), tick=False):
        target = next(t for t in outbound.reply_targets(case) if t.channel == wechat)
        assert "48 hours" in str(target.problem)
        with pytest.raises(Exception, match="48 hours"):
            outbound.send_reply(case, body="還在嗎？", by=users["agent"], target=target.key)
    assert Message.objects.filter(case=case, direction="out").count() == 1


def test_a_platform_refusal_marks_the_reply_failed_in_plain_words(wechat: Channel, client: Client, fake_platform: FakePlatform, users: dict[str, Any]) -> None:
    fake_platform.route("GET", "/cgi-bin/token", (200, {"access_token": "tok-1", "expires_in": 7200}))
    fake_platform.route("POST", "/cgi-bin/message/custom/send", (200, {"errcode": 43004, "errmsg": "require subscribe"}))
    post(client, text_xml("湯是冷的", "1002", int(clock.now().timestamp())))
    pipeline.ingest(InboundEvent.objects.get().pk)
    message = outbound.send_reply(Case.objects.get(), body="您好", by=users["agent"])
    assert outbound.deliver(OutboundDelivery.objects.get().pk) == "failed"
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED and "no longer follows" in message.delivery_error
    outbound.retry_delivery(message, by=users["agent"])
    assert OutboundDelivery.objects.get().status == DeliveryStatus.QUEUED


def test_a_delivery_is_sent_once_even_if_two_workers_pick_it_up(wechat: Channel, client: Client, fake_platform: FakePlatform, users: dict[str, Any]) -> None:
    fake_platform.route("GET", "/cgi-bin/token", (200, {"access_token": "tok-1", "expires_in": 7200}))
    fake_platform.route("POST", "/cgi-bin/message/custom/send", (200, {"errcode": 0}))
    post(client, text_xml("湯是冷的", "1003", int(clock.now().timestamp())))
    pipeline.ingest(InboundEvent.objects.get().pk)
    outbound.send_reply(Case.objects.get(), body="您好", by=users["agent"])
    delivery = OutboundDelivery.objects.get()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(claimed_at=clock.now())  # another worker is sending it
    assert outbound.deliver(delivery.pk) == "not queued, or another worker has it"
    assert fake_platform.calls("/cgi-bin/message/custom/send") == []


def test_a_wrong_signature_is_403_stores_nothing_and_is_counted(wechat: Channel, client: Client) -> None:
    response = post(client, text_xml("偽造的", "1", 1767225600), tamper=True)
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0 and QuarantinedRequest.objects.count() == 0
    assert Channel.objects.get().rejected_requests == 1


def test_a_missing_signature_is_403(wechat: Channel, client: Client) -> None:
    assert client.post("/hooks/wechat/hsg/", "<xml/>", content_type="text/xml").status_code == 403
    assert InboundEvent.objects.count() == 0


def test_a_malformed_body_is_400_and_kept_in_quarantine(client: Client) -> None:
    wechat = services.create_channel(kind="wechat", name="plain", by=None,
                                     values={"app_id": APP_ID, "encoding_mode": "plain", "app_secret": "s", "token": TOKEN})
    timestamp, nonce = "1767225600", "1"
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    query = urlencode({"signature": signer.signature, "timestamp": timestamp, "nonce": nonce})
    response = client.post(f"/hooks/wechat/plain/?{query}", b"<xml><Content>not closed", content_type="text/xml")
    assert response.status_code == 400
    item = QuarantinedRequest.objects.get()
    assert bytes(item.body) == b"<xml><Content>not closed" and item.channel == wechat
    assert InboundEvent.objects.count() == 0


def test_an_xml_entity_attack_is_refused(settings: Any, client: Client) -> None:
    services.create_channel(kind="wechat", name="plain", by=None,
                            values={"app_id": APP_ID, "encoding_mode": "plain", "app_secret": "s", "token": TOKEN})
    timestamp, nonce = "1767225600", "1"
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    query = urlencode({"signature": signer.signature, "timestamp": timestamp, "nonce": nonce})
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            "<xml><ToUserName>t</ToUserName><FromUserName>&b;</FromUserName><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>")
    response = client.post(f"/hooks/wechat/plain/?{query}", bomb, content_type="text/xml")
    assert response.status_code == 400
    assert InboundEvent.objects.count() == 0 and QuarantinedRequest.objects.count() == 1


def test_a_body_over_the_limit_is_413_and_not_read(wechat: Channel, client: Client, settings: Any) -> None:
    settings.TINGJIAN_WEBHOOK_MAX_BYTES = 1000
    response = client.post("/hooks/wechat/hsg/", b"x" * 1001, content_type="text/xml")
    assert response.status_code == 413 and InboundEvent.objects.count() == QuarantinedRequest.objects.count() == 0


def test_an_unknown_channel_is_404(client: Client) -> None:
    assert client.post("/hooks/wechat/nope/", b"<xml/>", content_type="text/xml").status_code == 404
    assert client.post("/hooks/fax/nope/", b"<xml/>", content_type="text/xml").status_code == 404


def test_the_url_check_answers_the_echo_only_with_a_good_signature(wechat: Channel, client: Client) -> None:
    timestamp, nonce = "1767225600", "42"
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    good = client.get("/hooks/wechat/hsg/", {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "echostr": "8374629"})
    bad = client.get("/hooks/wechat/hsg/", {"signature": "f" * 40, "timestamp": timestamp, "nonce": nonce, "echostr": "8374629"})
    assert good.status_code == 200 and good.content == b"8374629"
    assert bad.status_code == 403


def test_the_webhook_answers_even_when_the_queue_is_down(wechat: Channel, client: Client) -> None:
    from unittest import mock

    with mock.patch("django.tasks.Task.enqueue", side_effect=ConnectionError("redis down")) as enqueue, \
            mock.patch("django.db.transaction.on_commit", side_effect=lambda f: f()):
        response = post(client, text_xml("隊列掛了", "1004", int(clock.now().timestamp())))
    enqueue.assert_called_once()
    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == EventStatus.RECEIVED  # the sweep will enqueue it


def test_a_new_contact_on_wechat_is_remembered_for_replies(wechat: Channel, client: Client) -> None:
    post(client, text_xml("你好", "1005", int(clock.now().timestamp())))
    pipeline.ingest(InboundEvent.objects.get().pk)
    contact = Contact.objects.get()
    assert contact.channel == wechat and contact.identity.external_id == OPENID and contact.last_inbound_at is not None


@pytest.mark.parametrize("kind", ["line", "messenger", "wechat"])
def test_a_simulated_request_passes_the_real_webhook_and_becomes_a_case(kind: str, client: Client, settings: Any) -> None:
    from tingjian.channels.simulate import text_message

    values = {
        "line": {"channel_secret": "line-secret", "channel_access_token": "t"},
        "messenger": {"app_secret": "fb-secret", "verify_token": "v", "page_access_token": "t", "page_id": "1234"},
        "wechat": {"app_id": APP_ID, "encoding_mode": "safe", "app_secret": "s", "token": TOKEN, "encoding_aes_key": AES_KEY},
    }[kind]
    channel = services.create_channel(kind=kind, name="sim", by=None, values=values)
    request = text_message(kind, services.channel_config(channel), sender="sender-1", text="炸雞沒熟，裡面是生的")
    response = client.generic("POST", request.path(kind, "sim"), request.body, content_type=request.content_type,
                              headers=request.headers)
    assert response.status_code == 200, response.content
    pipeline.ingest(InboundEvent.objects.get().pk)
    assert Case.objects.get().messages.get().body == "炸雞沒熟，裡面是生的"


def test_a_new_contacts_name_comes_from_wechat_and_the_token_is_kept_for_the_next(wechat: Channel, client: Client, fake_platform: FakePlatform) -> None:
    fake_platform.route("GET", "/cgi-bin/token", (200, {"access_token": "tok-kept", "expires_in": 7200}))
    fake_platform.route("GET", "/cgi-bin/user/info", lambda r: (200, {"subscribe": 1, "openid": r.query["openid"][0], "nickname": "小明", "unionid": "union-1"}))
    post(client, text_xml("第一則", "2001", int(clock.now().timestamp())))
    pipeline.ingest(InboundEvent.objects.get().pk)
    customer = Case.objects.get().customer
    assert customer.display_name == "小明" and customer.identities.get().unionid == "union-1"
    assert services.channel_config(Channel.objects.get()).state["access_token"] == "tok-kept"
    assert "tok-kept" not in str(Channel.objects.get().state)  # kept sealed, like the secrets
    other = text_xml("第二則", "2002", int(clock.now().timestamp())).replace(OPENID, "oAnotherFollower000000000001")
    post(client, other)
    pipeline.ingest(InboundEvent.objects.order_by("-pk").first().pk)  # type: ignore[union-attr]
    assert len(fake_platform.calls("/cgi-bin/token")) == 1  # WeChat rations tokens: one fetch served both
    assert len(fake_platform.calls("/cgi-bin/user/info")) == 2


def test_a_food_poisoning_complaint_on_line_reaches_the_executive_at_once(
    client: Client, users: dict[str, Any]
) -> None:
    """The issue's 'done when': from the LINE webhook to the executive's alert, nothing waits
    for a timer or the ladder — ingest itself flags the case and tells them."""
    from tingjian.alerts.models import Notification
    from tingjian.channels.simulate import text_message
    from tingjian.sla.models import Clock

    channel = services.create_channel(
        kind="line", name="sim", by=None, values={"channel_secret": "line-secret", "channel_access_token": "t"}
    )
    request = text_message("line", services.channel_config(channel), sender="sender-1",
                           text="昨天吃了你們的便當，全家食物中毒，上吐下瀉")
    moment = clock.now()
    with time_machine.travel(moment, tick=False):
        response = client.generic("POST", request.path("line", "sim"), request.body,
                                  content_type=request.content_type, headers=request.headers)
        assert response.status_code == 200
        pipeline.ingest(InboundEvent.objects.get().pk)
    case = Case.objects.get()
    assert case.safety and case.severity == 1
    clock_row = Clock.objects.get(case=case, kind="first_response")
    # Counted from when the customer sent it (the platform's timestamp), not when we filed it.
    assert clock_row.target_seconds == 15 * 60
    assert clock_row.due_at == case.opened_at + timedelta(minutes=15)
    assert case.opened_at <= moment
    alert = Notification.objects.get(recipient=users["executive"], kind="sla.safety")
    assert alert.urgent and case.number in alert.text
