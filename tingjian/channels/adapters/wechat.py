"""WeChat Official Account (公众号): webhook, message encryption, customer-service replies.

WeChat signs each webhook call with SHA-1 over the sorted token, timestamp and nonce; that
signature does not cover the body, so in "compatible" and "safe" mode the body's <Encrypt>
part carries its own ``msg_signature`` and is AES-encrypted under the EncodingAESKey, and
the appid inside the ciphertext is what proves it was made with our key. We trust the
decrypted XML, never the plain copy a compatible-mode body also carries.

Replies go through the customer-service message API, which WeChat only allows within 48
hours of the customer's last message. Its access token lives two hours; it is kept in
``channel.state`` and handed back through ``SendResult.state_changes``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import struct
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar
from xml.etree.ElementTree import Element, ParseError

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings
from django.utils.translation import gettext as _

from .base import (
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

ENCODING_MODES = ("plain", "compatible", "safe")
REPLY_WINDOW = timedelta(hours=48)
# A cached token this close to its end is replaced, so it cannot expire mid-send.
TOKEN_MARGIN = timedelta(minutes=5)
# errcodes meaning "this access token is no longer good": fetch a new one and try once more.
STALE_TOKEN = frozenset({40001, 40014, 42001})
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
# Characters XML 1.0 cannot carry even in CDATA; an agent's pasted text may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _check_signature(given: str, token: str, *parts: str) -> None:
    # Without a token anyone could compute the "signature", so an unset token refuses all.
    if not token or not given:
        raise SignatureInvalid("WeChat signature or channel token missing")
    if not hmac.compare_digest(_signature(token, *parts).encode(), given.encode()):
        raise SignatureInvalid("WeChat signature does not match")


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


class MessageCipher:
    """WeChat's message encryption: AES-256-CBC under the EncodingAESKey (IV = the key's first
    16 bytes), PKCS#7 padding to 32-byte blocks, plaintext = 16 random bytes + 4-byte
    big-endian length + XML + appid."""

    BLOCK = 32

    def __init__(self, encoding_aes_key: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            key = b""
        if len(key) != 32:
            raise ValueError("the EncodingAESKey is not 43 characters of base64")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:16]))

    def encrypt(self, xml: bytes, app_id: str, *, random_prefix: bytes | None = None) -> str:
        prefix = secrets.token_bytes(16) if random_prefix is None else random_prefix
        plain = prefix + struct.pack(">I", len(xml)) + xml + app_id.encode()
        pad = self.BLOCK - len(plain) % self.BLOCK
        encryptor = self._cipher.encryptor()
        sealed = encryptor.update(plain + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(sealed).decode("ascii")

    def decrypt(self, encrypted: str) -> tuple[bytes, str]:
        """(xml, appid); ValueError when the ciphertext was not made with this key."""
        try:
            sealed = base64.b64decode(encrypted, validate=True)
        except binascii.Error as exc:
            raise ValueError("not base64") from exc
        if not sealed or len(sealed) % 16:
            raise ValueError("not whole AES blocks")
        decryptor = self._cipher.decryptor()
        plain = decryptor.update(sealed) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= self.BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise ValueError("bad padding")
        content = plain[16:-pad]
        if len(content) < 4:
            raise ValueError("too short")
        (length,) = struct.unpack(">I", content[:4])
        if length > len(content) - 4:
            raise ValueError("length past the end")
        try:
            app_id = content[4 + length :].decode("ascii")
        except UnicodeDecodeError as exc:
            raise ValueError("appid is not text") from exc
        return content[4 : 4 + length], app_id


def _refusal(code: int) -> DeliveryError:
    """WeChat's errcode in plain words, and whether trying later can help."""
    words: dict[int, tuple[str, bool]] = {
        45015: (_("WeChat only lets an official account answer within 48 hours after the customer's last message, and that time has passed. Reach the customer another way, such as a phone call or an email."), False),
        43004: (_("The customer no longer follows this official account, so WeChat will not deliver the message."), False),
        45047: (_("WeChat refused the message: too many were sent to this customer since they last wrote. Wait until they write again, or reach them another way."), False),
        48001: (_("This official account may not use WeChat's customer-service messages. An administrator must enable it on the WeChat platform."), False),
        40003: (_("WeChat does not know this customer for this official account."), False),
        40164: (_("WeChat refused the call because this server's IP address is not on the official account's whitelist. An administrator must add it on the WeChat platform."), False),
        45009: (_("This official account has used up today's WeChat API calls; it will be tried again later."), True),
        -1: (_("WeChat is busy; it will be tried again."), True),
    }
    credentials = _("WeChat refused the official account's credentials (app ID or app secret). An administrator must check the channel's settings.")
    for bad in (40001, 40013, 40014, 40125, 42001):
        words[bad] = (credentials, False)
    message, retry = words.get(code, (_("WeChat refused the request (error code %(code)s).") % {"code": code}, False))
    return DeliveryError(message, retry=retry, code=str(code))


def _errcode(data: Mapping[str, Any]) -> int:
    try:
        return int(data.get("errcode") or 0)
    except (TypeError, ValueError):
        return -1


class _WeChatApi:
    """Calls to WeChat's API for one channel: one HTTP client and one access token, reused from
    the channel's state while it has time left, else fetched, and fetched again once when
    WeChat calls it stale. A fetched token is in ``state_changes`` for the caller to keep."""

    def __init__(self, channel: ChannelConfig) -> None:
        self.channel = channel
        self.base = channel.api_base.rstrip("/")
        self.client = httpx.Client(timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT)
        self.state_changes: dict[str, Any] = {}
        self._token = self._cached_token()

    def __enter__(self) -> _WeChatApi:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.client.close()

    def _cached_token(self) -> str:
        token = str(self.channel.state.get("access_token") or "")
        try:
            expires_at = datetime.fromisoformat(str(self.channel.state.get("access_token_expires_at")))
        except ValueError:
            return ""
        if expires_at.tzinfo is None or expires_at - datetime.now(UTC) <= TOKEN_MARGIN:
            return ""
        return token

    def _fetch_token(self) -> str:
        secret = {"appid": str(self.channel.setting("app_id")), "secret": self.channel.secret("app_secret")}
        data = self.read_json(self.open("GET", self.base + "/cgi-bin/token", {"grant_type": "client_credential", **secret}))
        if code := _errcode(data):
            raise _refusal(code)
        token = str(data.get("access_token") or "")
        if not token:
            raise DeliveryError(_("WeChat gave no access token; it will be tried again."), retry=True, code="no_token")
        try:
            lifetime = timedelta(seconds=int(data.get("expires_in") or 7200))
        except (TypeError, ValueError):
            lifetime = timedelta(seconds=7200)
        expires_at = datetime.now(UTC) + lifetime
        self.state_changes = {"access_token": token, "access_token_expires_at": expires_at.isoformat()}
        return token

    def open(self, method: str, url: str, params: Mapping[str, str], *, body: bytes | None = None) -> httpx.Response:
        """Start a request and read its headers; the caller reads (and so closes) the body."""
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
        request = self.client.build_request(method, url, params=params, content=body, headers=headers)
        try:
            response = self.client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise DeliveryError(_("Could not reach WeChat; it will be tried again."), retry=True, code="network") from exc
        if response.status_code >= 400:
            response.close()
            retry = response.status_code >= 500 or response.status_code == 429
            message = _("WeChat answered with HTTP error %(status)s.") % {"status": response.status_code}
            raise DeliveryError(message, retry=retry, code=f"http_{response.status_code}")
        return response

    def read_json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = json.loads(_read_limited(response, 1024 * 1024))
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise DeliveryError(_("WeChat's answer could not be read; it will be tried again."), retry=True, code="unreadable")
        return data

    def authorised(
        self, method: str, path: str, params: Mapping[str, str], *, body: bytes | None = None
    ) -> tuple[httpx.Response, dict[str, Any] | None]:
        """Call with the access token. A JSON answer comes back read, its errcode raised as a
        DeliveryError; any other answer comes back unread (a media file)."""
        for attempt in (1, 2):
            token = self._token = self._token or self._fetch_token()
            response = self.open(method, self.base + path, {"access_token": token, **params}, body=body)
            # WeChat labels some JSON answers text/plain.
            if _media_type(response) not in ("application/json", "text/plain"):
                return response, None
            data = self.read_json(response)
            code = _errcode(data)
            if code in STALE_TOKEN and attempt == 1:
                self._token = ""
                continue
            if code:
                raise _refusal(code)
            return response, data
        raise AssertionError("unreachable: the second attempt returns or raises")

    def call(self, method: str, path: str, params: Mapping[str, str], *, body: bytes | None = None) -> dict[str, Any]:
        response, data = self.authorised(method, path, params, body=body)
        return data if data is not None else self.read_json(response)


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to pass ``max_bytes``; closes the response."""
    too_large = DeliveryError(
        _("The file is larger than %(limit)s MB, the most Tingjian downloads, so it was not fetched.")
        % {"limit": round(max_bytes / (1024 * 1024), 1)},
        retry=False, code="too_large",
    )
    chunks: list[bytes] = []
    size = 0
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except httpx.TransportError as exc:
        raise DeliveryError(_("Could not reach WeChat; it will be tried again."), retry=True, code="network") from exc
    finally:
        response.close()
    return b"".join(chunks)


class WeChatAdapter(Adapter):
    kind: ClassVar[str] = "wechat"
    label: ClassVar[str] = "WeChat Official Account"
    secret_keys: ClassVar[tuple[str, ...]] = ("app_secret", "token", "encoding_aes_key")
    config_keys: ClassVar[tuple[str, ...]] = ("app_id", "encoding_mode", "auto_reply")
    required_keys: ClassVar[tuple[str, ...]] = ("app_id", "app_secret", "token")
    api_base_setting: ClassVar[str] = "TINGJIAN_WECHAT_API_BASE"

    def verify_url(self, channel: ChannelConfig, query: Mapping[str, str]) -> bytes:
        _check_signature(query.get("signature", ""), channel.secret("token"), query.get("timestamp", ""), query.get("nonce", ""))
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
        timestamp, nonce, signature = (query.get(k, "") for k in ("timestamp", "nonce", "signature"))
        # In safe mode the msg_signature below is what counts; a signature sent as well must hold.
        if mode != "safe" or signature:
            _check_signature(signature, token, timestamp, nonce)
        root = _parse_xml(body)
        encrypted = root.findtext("Encrypt")
        payload = body
        if encrypted is None:
            if mode == "safe":
                raise SignatureInvalid("safe mode: the body is not encrypted")
        else:
            _check_signature(query.get("msg_signature", ""), token, timestamp, nonce, encrypted)
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
        signature = _signature(channel.secret("token"), now, nonce, encrypted)
        envelope = (
            f"<xml><Encrypt>{_cdata(encrypted)}</Encrypt><MsgSignature>{_cdata(signature)}</MsgSignature>"
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
        with _WeChatApi(channel) as api:
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
        """The follower's nickname and unionid; None when WeChat knows neither. A token
        fetched here is not kept (this method cannot return state)."""
        params = {"openid": contact.handle, "lang": "zh_TW"}
        with _WeChatApi(channel) as api:
            try:
                data = api.call("GET", "/cgi-bin/user/info", params)
            except DeliveryError as exc:
                if exc.code == "40003":  # not an openid of this account
                    return None
                raise
        name, unionid = str(data.get("nickname") or ""), str(data.get("unionid") or "")
        if not (name or unionid):
            return None
        return Profile(display_name=name, unionid=unionid, language=str(data.get("language") or ""))

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        with _WeChatApi(channel) as api:
            response, data = api.authorised("GET", "/cgi-bin/media/get", {"media_id": media_ref})
            if data is None:
                return _read_limited(response, max_bytes), _media_type(response)
            # A video is not served here: WeChat answers with a link to it.
            video_url = str(data.get("video_url") or "")
            if not video_url.startswith(("https://", "http://")):
                raise DeliveryError(_("WeChat's answer could not be read; it will be tried again."), retry=True, code="unreadable")
            video = api.open("GET", video_url, {})
            return _read_limited(video, max_bytes), _media_type(video) or "video/mp4"

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
