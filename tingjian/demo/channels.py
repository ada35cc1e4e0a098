"""Demo channels of 好食光餐飲 and a little traffic through them.

The channels are sandboxes: replies are recorded as sent without calling LINE, WeChat or
Facebook (the demo's credentials are fake). Their messages come in as the platforms would
send them — signed requests through each adapter's ``accept`` — then the real pipeline
files them, so the demo shows intake exactly as it works.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tingjian import clock
from tingjian.channels import pipeline, services
from tingjian.channels.adapters import get_adapter
from tingjian.channels.models import Channel
from tingjian.channels.simulate import messenger_comment, text_message
from tingjian.customers import services as customer_services
from tingjian.customers.models import Identity
from tingjian.org.models import Branch

AES_KEY = "DemoOnlyEncodingAESKeyForTingjian0123456789"  # 43 characters, like WeChat's

CHANNELS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("line", "hsg-line", "好食光 LINE 官方帳號", {"channel_secret": "demo-line-secret", "channel_access_token": "demo-line-token", "auto_reply": True}),
    ("wechat", "hsg-wechat", "好食光 微信公众号", {"app_id": "wxdemo0000000001", "encoding_mode": "safe", "app_secret": "demo-app-secret",
                                               "token": "demotoken", "encoding_aes_key": AES_KEY, "language": "zh-hans"}),
    ("messenger", "hsg-facebook", "好食光 Facebook 粉絲專頁", {"page_id": "100000000000001", "app_secret": "demo-fb-app-secret",
                                                           "verify_token": "demo-verify-token", "page_access_token": "demo-page-token"}),
    ("webform", "hsg", "好食光餐飲", {}),
    ("calllog", "callcenter", "客服中心通話紀錄", {}),
    ("api", "api", "REST API", {}),
]

# (channel name, sender id, display name, text, minutes ago)
TRAFFIC = [
    ("hsg-line", "U1a2b3c4d5e6f708192a3b4c5d6e7f801", "陳美玲",
     "昨天在信義店吃的牛肉麵，湯裡有一根頭髮，很不舒服。之前也打過電話，我的手機 0912-345-000。", 95),
    ("hsg-line", "U1a2b3c4d5e6f708192a3b4c5d6e7f801", "陳美玲", "請問有人在處理嗎？", 40),
    ("hsg-wechat", "oDemoWeChatUser00000000000001", "李伟", "外卖送到的时候汤已经洒了一半，包装也破了，上海店。", 70),
    ("hsg-facebook", "7000000000000002", "Jason Wu", "Hi, I was charged twice for one order at the Taichung branch. Can you refund?", 55),
]
COMMENT = ("hsg-facebook", "7000000000000003", "黃小姐", "高雄店的炸雞根本沒熟，裡面還是生的！大家小心！", 30)
CALLER = ("陳美玲", "0912345000", "致電反映信義店牛肉麵有頭髮，要求回電。")


def _deliver(channel: Channel, request: Any) -> None:
    accepted = get_adapter(channel.kind).accept(services.channel_config(channel), request.body, request.headers, request.query)
    for event, _created in services.receive(channel, accepted):
        pipeline.ingest(event.pk)


def build_channels(users: dict[str, Any]) -> list[Channel]:
    """Create the demo channels once; on the first run also send their demo traffic."""
    if Channel.objects.filter(name="hsg-line").exists():
        return list(Channel.objects.all())
    taipei = Branch.objects.filter(code="tpe-xinyi").first()
    made = {}
    for kind, name, display, values in CHANNELS:
        made[name] = services.create_channel(
            kind=kind, name=name, display_name=display, values=values, by=None, sandbox=True,
            branch=taipei if kind == "webform" else None,
        )
    # A caller first (the hotline), so the LINE message naming her number suggests a match.
    name, phone, text = CALLER
    document = {"customer": {"name": name, "phone": phone}, "body": text, "subject": "牛肉麵有頭髮（電話）",
                "channel": "phone", "sent_at": (clock.now() - timedelta(hours=3)).isoformat(), "fields": {"branch": "tpe-xinyi"}}
    event, _ = services.submit_intake(made["api"], key="demo-call-1", document=document, by=users["agent"])
    pipeline.ingest(event.pk)
    for channel_name, sender, display, text, minutes in TRAFFIC:
        channel = made[channel_name]
        at = clock.now() - timedelta(minutes=minutes)
        _deliver(channel, text_message(channel.kind, services.channel_config(channel), sender=sender, text=text, at=at))
        _name(channel.kind, sender, display)
    channel_name, author, display, text, minutes = COMMENT
    channel = made[channel_name]
    _deliver(channel, messenger_comment(services.channel_config(channel), author_id=author, name=display, text=text,
                                        at=clock.now() - timedelta(minutes=minutes)))
    return list(made.values())


def _name(kind: str, handle: str, display: str) -> None:
    """Platforms tell a new contact's name through their profile API; the sandbox has none."""
    identity_kind = {"line": "line", "wechat": "wechat_openid", "messenger": "messenger"}[kind]
    identity = Identity.objects.select_related("customer").filter(kind=identity_kind, external_id=handle).first()
    if identity is not None and identity.customer.display_name == handle:
        customer_services.update_customer(identity.customer, by=None, display_name=display)
