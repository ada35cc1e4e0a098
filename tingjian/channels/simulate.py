"""Requests exactly as a platform would send them, signed with the channel's own secrets.

For trying a channel without the platform: ``tingjian channels simulate`` posts one to the
running server's webhook, and the demo feeds them through the same ``accept`` a real
request meets. Nothing here is used on the path real platforms take.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from .adapters.base import ChannelConfig


@dataclass(frozen=True)
class SimulatedRequest:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def path(self, kind: str, name: str) -> str:
        query = f"?{urlencode(self.query)}" if self.query else ""
        return f"/hooks/{kind}/{name}/{query}"


def _ms(at: datetime | None) -> int:
    return int((at.timestamp() if at else time.time()) * 1000)


def line_text(channel: ChannelConfig, *, user_id: str, text: str, at: datetime | None = None) -> SimulatedRequest:
    event = {
        "type": "message", "mode": "active", "timestamp": _ms(at), "webhookEventId": "01" + secrets.token_hex(12).upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": secrets.token_hex(16),
        "source": {"type": "user", "userId": user_id},
        "message": {"id": str(secrets.randbelow(10**17)), "type": "text", "quoteToken": secrets.token_hex(8), "text": text},
    }
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, ensure_ascii=False).encode()
    digest = hmac.new(channel.secret("channel_secret").encode(), body, hashlib.sha256).digest()
    return SimulatedRequest(body=body, headers={"X-Line-Signature": base64.b64encode(digest).decode()})


def messenger_text(channel: ChannelConfig, *, psid: str, text: str, at: datetime | None = None) -> SimulatedRequest:
    page = str(channel.setting("page_id") or "100000000000001")
    stamp = _ms(at)
    body = json.dumps({"object": "page", "entry": [{"id": page, "time": stamp, "messaging": [{
        "sender": {"id": psid}, "recipient": {"id": page}, "timestamp": stamp,
        "message": {"mid": "m_" + secrets.token_urlsafe(24), "text": text},
    }]}]}, ensure_ascii=False).encode()
    digest = hmac.new(channel.secret("app_secret").encode(), body, hashlib.sha256).hexdigest()
    return SimulatedRequest(body=body, headers={"X-Hub-Signature-256": f"sha256={digest}"})


def messenger_comment(channel: ChannelConfig, *, author_id: str, name: str, text: str, at: datetime | None = None) -> SimulatedRequest:
    page = str(channel.setting("page_id") or "100000000000001")
    stamp = _ms(at)
    post = f"{page}_{secrets.randbelow(10**15)}"
    body = json.dumps({"object": "page", "entry": [{"id": page, "time": stamp, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": "add", "post_id": post, "comment_id": f"{post}_{secrets.randbelow(10**15)}",
        "message": text, "from": {"id": author_id, "name": name}, "created_time": stamp // 1000,
    }}]}]}, ensure_ascii=False).encode()
    digest = hmac.new(channel.secret("app_secret").encode(), body, hashlib.sha256).hexdigest()
    return SimulatedRequest(body=body, headers={"X-Hub-Signature-256": f"sha256={digest}"})


def wechat_text(channel: ChannelConfig, *, openid: str, text: str, at: datetime | None = None) -> SimulatedRequest:
    from .adapters.wechat import MessageCipher, signature

    created = str(int(_ms(at) / 1000))
    xml = (
        f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{escape(openid)}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{secrets.randbelow(10**17)}</MsgId></xml>"
    )
    token, nonce = channel.secret("token"), str(secrets.randbelow(10**9))
    query = {"timestamp": created, "nonce": nonce, "openid": openid, "signature": signature(token, created, nonce)}
    if str(channel.setting("encoding_mode") or "plain") == "plain":
        return SimulatedRequest(body=xml.encode(), query=query, content_type="text/xml")
    encrypted = MessageCipher(channel.secret("encoding_aes_key")).encrypt(xml.encode(), str(channel.setting("app_id")))
    query.update({"encrypt_type": "aes", "msg_signature": signature(token, created, nonce, encrypted)})
    body = f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return SimulatedRequest(body=body.encode(), query=query, content_type="text/xml")


def text_message(kind: str, channel: ChannelConfig, *, sender: str, text: str, at: datetime | None = None) -> SimulatedRequest:
    if kind == "line":
        return line_text(channel, user_id=sender, text=text, at=at)
    if kind == "messenger":
        return messenger_text(channel, psid=sender, text=text, at=at)
    if kind == "wechat":
        return wechat_text(channel, openid=sender, text=text, at=at)
    raise ValueError(f"{kind} channels are not simulated (they are polled or uploaded, not called)")
