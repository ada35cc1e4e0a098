"""WeChat Official Account (公众号): webhook, message encryption, customer-service replies.

WeChat signs each webhook call with SHA-1 over the sorted token, timestamp and nonce; that
signature does not cover the body, so in "compatible" and "safe" mode the body's <Encrypt>
part carries its own ``msg_signature`` and is AES-encrypted under the EncodingAESKey, and
the appid inside the ciphertext is what proves it was made with our key. We trust the
decrypted XML, never the plain copy a compatible-mode body also carries.

Replies go through the customer-service message API, which WeChat only allows within 48
hours of the customer's last message. Its access token lives two hours; it is kept in
``channel.state`` and handed back through ``SendResult.state_changes``.

The parts: ``crypto`` (signatures and the message cipher) and ``client`` (API calls and the
access token); here, the adapter and the XML it reads and writes.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.utils.translation import gettext as _

from ..base import (
    Accepted,
    Adapter,
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
    ParsedEvent,
    Profile,
    Recipient,
    SendResult,
    SignatureInvalid,
)
from .client import WeChatApi, media_type
from .crypto import MessageCipher, check_signature, signature

__all__ = ["ADAPTER", "ENCODING_MODES", "REPLY_WINDOW", "MessageCipher", "WeChatAdapter", "signature"]

ENCODING_MODES = ("plain", "compatible", "safe")
REPLY_WINDOW = timedelta(hours=48)
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
# Characters XML 1.0 cannot carry even in CDATA; an agent's pasted text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _parse_xml(data: bytes) -> Element:
    # No DTD at all: WeChat never sends one, and it is how entity bombs and XXE come in.
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise MalformedPayload(f"unreadable WeChat XML: {type(exc).__name__}") from exc
    if root.tag != "xml":
        raise MalformedPayload("WeChat XML has no <xml> root")
    return root


def _field(root: Element, tag: str) -> str:
    return (root.findtext(tag) or "").strip()


def _cdata(value: str) -> str:
    # "]]>" would end the section early: close it and open a new one around the ">".
    return "<![CDATA[" + _NOT_XML.sub("", value).replace("]]>", "]]]]><![CDATA[>") + "]]>"


class WeChatAdapter(Adapter):
    kind: ClassVar[str] = "wechat"
    label: ClassVar[str] = "WeChat Official Account"
    secret_keys: ClassVar[tuple[str, ...]] = ("app_secret", "token", "encoding_aes_key")
    config_keys: ClassVar[tuple[str, ...]] = ("app_id", "encoding_mode", "auto_reply")
    required_keys: ClassVar[tuple[str, ...]] = ("app_id", "app_secret", "token")
    api_base_setting: ClassVar[str] = "TINGJIAN_WECHAT_API_BASE"

    def verify_url(self, channel: ChannelConfig, query: Mapping[str, str]) -> bytes:
        check_signature(query.get("signature", ""), channel.secret("token"), query.get("timestamp", ""), query.get("nonce", ""))
        echo = query.get("echostr", "")
        # echostr is outside the signature: answer only the plain token WeChat sends, so a
        # replayed signature cannot make us serve arbitrary content.
        if not re.fullmatch(r"[A-Za-z0-9_.=+/-]{1,256}", echo):
            raise SignatureInvalid("echostr missing or not a plain token")
        return echo.encode()

    def accept(
        self, channel: ChannelConfig, body: bytes, headers: Mapping[str, str], query: Mapping[str, str]
    ) -> Accepted:
        mode = self._mode(channel)
        token = channel.secret("token")
        timestamp, nonce, given = (query.get(k, "") for k in ("timestamp", "nonce", "signature"))
        # In safe mode the msg_signature below is what counts; a signature sent as well must hold.
        if mode != "safe" or given:
            check_signature(given, token, timestamp, nonce)
        root = _parse_xml(body)
        encrypted = root.findtext("Encrypt")
        payload = body
        if encrypted is None:
            if mode == "safe":
                raise SignatureInvalid("safe mode: the body is not encrypted")
        else:
            check_signature(query.get("msg_signature", ""), token, timestamp, nonce, encrypted)
            payload = self._decrypt(channel, encrypted)
            root = _parse_xml(payload)
        msg_type, sender, created = (_field(root, k) for k in ("MsgType", "FromUserName", "CreateTime"))
        if not (msg_type and sender and created):
            raise MalformedPayload("WeChat XML lacks MsgType, FromUserName or CreateTime")
        event = _field(root, "Event")
        msg_id = _field(root, "MsgId")
        # Messages have an id; WeChat says to tell events apart by sender and time.
        external_id = msg_id if msg_type != "event" and msg_id else ":".join(filter(None, (sender, created, event)))
        incoming = IncomingEvent(
            external_id=external_id, payload=payload, content_type="application/xml",
            meta={"msg_type": msg_type, "event": event, "encrypted": encrypted is not None},
        )
        return Accepted(events=[incoming], response_body=b"success")

    def passive_reply(
        self, channel: ChannelConfig, event: IncomingEvent, text: str, query: Mapping[str, str]
    ) -> tuple[bytes, str]:
        """The XML that answers the webhook call with a text to the sender (e.g. "we got it,
        case C-2026-000123"), encrypted and signed when the channel is not in plain mode."""
        root = _parse_xml(event.payload)
        now = str(int(time.time()))
        reply = (
            f"<xml><ToUserName>{_cdata(_field(root, 'FromUserName'))}</ToUserName>"
            f"<FromUserName>{_cdata(_field(root, 'ToUserName'))}</FromUserName>"
            f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{_cdata(text)}</Content></xml>"
        )
        if self._mode(channel) == "plain":
            return reply.encode(), XML_CONTENT_TYPE
        cipher = MessageCipher(channel.secret("encoding_aes_key"))
        encrypted = cipher.encrypt(reply.encode(), str(channel.setting("app_id")))
        nonce = query.get("nonce", "") or str(secrets.randbelow(10**10))
        msg_signature = signature(channel.secret("token"), now, nonce, encrypted)
        envelope = (
            f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(msg_signature)}</MsgSignature>"
            f"<TimeStamp>{now}</TimeStamp><Nonce>{_cdata(nonce)}</Nonce></xml>"
        )
        return envelope.encode(), XML_CONTENT_TYPE

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        root = _parse_xml(event.payload)
        msg_type, sender = _field(root, "MsgType"), _field(root, "FromUserName")
        try:
            at = datetime.fromtimestamp(int(_field(root, "CreateTime")), tz=UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise MalformedPayload("WeChat CreateTime is not a Unix time") from exc
        if not (msg_type and sender):
            raise MalformedPayload("WeChat XML lacks MsgType or FromUserName")
        contact = Contact(kind="wechat_openid", handle=sender)
        if msg_type == "event":
            return [self._contact_event(root, contact, at)]
        text, attachments = self._content(root, msg_type)
        message = CustomerMessage(
            external_id=event.external_id, contact=contact, text=text, sent_at=at,
            channel="wechat", attachments=attachments,
        )
        return [message]

    @staticmethod
    def _contact_event(root: Element, contact: Contact, at: datetime) -> ParsedEvent:
        event, key = _field(root, "Event"), _field(root, "EventKey")
        action = {"subscribe": "follow", "unsubscribe": "unfollow", "click": "click", "view": "click"}.get(event.lower())
        if action is None:
            return Nothing(reason=f"WeChat event {event or '(none)'} needs no action")
        return ContactEvent(contact=contact, action=action, at=at, detail=key)

    @staticmethod
    def _content(root: Element, msg_type: str) -> tuple[str, tuple[AttachmentIn, ...]]:
        """A readable body for the agent, and the files WeChat only names (fetched later)."""
        media = _field(root, "MediaId")
        if msg_type == "text":
            return root.findtext("Content") or "", ()
        if msg_type == "image":
            return "[image]", (AttachmentIn(kind="image", media_ref=media),)
        if msg_type == "voice":
            fmt, heard = _field(root, "Format").lower(), _field(root, "Recognition")
            voice = AttachmentIn(kind="audio", media_ref=media, filename=f"voice.{fmt}" if fmt else "")
            return f"[voice] {heard}" if heard else "[voice]", (voice,)
        if msg_type in ("video", "shortvideo"):
            return "[video]", (AttachmentIn(kind="video", media_ref=media),)
        if msg_type == "location":
            place = f"{_field(root, 'Location_X')},{_field(root, 'Location_Y')} {_field(root, 'Label')}".strip()
            scale = _field(root, "Scale")
            note = f"{place} (map scale {scale})" if scale else place
            return f"[location] {place}", (AttachmentIn(kind="location", note=note),)
        if msg_type == "link":
            title, url, about = _field(root, "Title"), _field(root, "Url"), _field(root, "Description")
            text = f"[link] {title} — {url}" + (f"\n{about}" if about else "")
            return text, (AttachmentIn(kind="link", note=url),)
        # A kind WeChat added later: still the customer speaking, so show that something came.
        return f"[{msg_type}]", ()

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        if message.attachments:
            raise DeliveryError(
                _("Replies on WeChat can carry text only. Remove the file, or send it another way."),
                retry=False, code="attachments_unsupported",
            )
        payload = {"touser": recipient.handle, "msgtype": "text", "text": {"content": message.text}}
        body = json.dumps(payload, ensure_ascii=False).encode()
        with WeChatApi(channel) as api:
            api.call("POST", "/cgi-bin/message/custom/send", {}, body=body)
            return SendResult(mode="customer_service", state_changes=api.state_changes)

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        last = recipient.last_inbound_at
        if last is None:
            return _("WeChat only lets an official account answer within 48 hours after the customer's last message, and this customer has not written to the account. Reach them another way, such as a phone call or an email.")
        if now - last > REPLY_WINDOW:
            return _("WeChat only lets an official account answer within 48 hours after the customer's last message, and that time has passed. Reach the customer another way, such as a phone call or an email.")
        return ""

    def fetch_profile(self, channel: ChannelConfig, contact: Contact) -> Profile | None:
        """The follower's nickname and unionid; None when WeChat knows neither and no new
        access token needs keeping (a fetched token rides along in ``state_changes``)."""
        params = {"openid": contact.handle, "lang": "zh_TW"}
        with WeChatApi(channel) as api:
            try:
                data = api.call("GET", "/cgi-bin/user/info", params)
            except DeliveryError as exc:
                if exc.code == "40003":  # not an openid of this account
                    return Profile(state_changes=api.state_changes) if api.state_changes else None
                raise
        name, unionid = str(data.get("nickname") or ""), str(data.get("unionid") or "")
        if not (name or unionid or api.state_changes):
            return None
        return Profile(display_name=name, unionid=unionid, language=str(data.get("language") or ""),
                       state_changes=api.state_changes)

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        with WeChatApi(channel) as api:
            response, data = api.authorised("GET", "/cgi-bin/media/get", {"media_id": media_ref})
            if data is None:
                return api.read(response, max_bytes), media_type(response)
            # A video is not served here: WeChat answers with a link to it.
            video_url = str(data.get("video_url") or "")
            if not video_url.startswith(("https://", "http://")):
                raise DeliveryError(_("WeChat's answer could not be read; it will be tried again."), retry=True, code="unreadable")
            video = api.open("GET", video_url, {})
            return api.read(video, max_bytes), media_type(video) or "video/mp4"

    def _mode(self, channel: ChannelConfig) -> str:
        mode = str(channel.setting("encoding_mode", "plain") or "plain")
        if mode not in ENCODING_MODES:
            raise SignatureInvalid(f"unknown encoding_mode {mode!r}")
        return mode

    def _decrypt(self, channel: ChannelConfig, encrypted: str) -> bytes:
        # The ciphertext is not authenticated by AES-CBC itself: it counts as WeChat's only
        # when it decrypts cleanly and names our appid.
        try:
            xml, app_id = MessageCipher(channel.secret("encoding_aes_key")).decrypt(encrypted)
        except ValueError as exc:
            raise SignatureInvalid(f"WeChat ciphertext does not decrypt: {exc}") from exc
        expected = str(channel.setting("app_id"))
        if not expected or app_id != expected:
            raise SignatureInvalid("WeChat ciphertext is for another appid")
        return xml


ADAPTER = WeChatAdapter()
