"""WeChat as the tests see it: Tencent's published vectors, and deliveries made with wechatpy.

Shared by the adapter's webhook tests (test_wechat_adapter.py) and its API tests
(test_wechat_api.py).
"""


from typing import Any

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from tingjian.channels.adapters.base import (
    ChannelConfig,
    IncomingEvent,
)
from tingjian.channels.adapters.wechat import ADAPTER

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


