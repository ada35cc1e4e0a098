"""A stored mail read into what it means: a customer's message (text, subject, attachments,
threading), a delivery report on one of our replies, or nothing to act on (auto-replies,
read receipts, our own mail). ``parse_mail`` never raises on a malformed mail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import cast

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from tingjian import clock

from ..base import (
    AttachmentIn,
    ChannelConfig,
    Contact,
    CustomerMessage,
    DeliveryReceipt,
    IncomingEvent,
    Nothing,
    ParsedEvent,
)
from .body_text import html_to_text, strip_quoted, tidy
from .decoding import (
    CHINESE_CODECS,
    RAW,
    clean_text,
    decode_bytes,
    decode_header_text,
    decode_with_codec,
    header_bytes,
    message_ids,
    rfc2231_text,
)

# The email channel logs under one name, whichever of its parts speaks.
logger = logging.getLogger("tingjian.channels.adapters.email")

SUBJECT_LENGTH = 300  # cases.Message.subject
CASE_NUMBER = re.compile(r"\bC-\d{4}-\d{6}\b", re.IGNORECASE)
_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}
_FORWARD = re.compile(r"^\s*(fwd?|轉寄|转发|轉發)\s*[:：]", re.IGNORECASE)


def _leaves(part: Message) -> Iterator[Message]:
    """The leaf parts in order; an attached mail (message/*) is one leaf, not opened."""
    if part.get_content_maintype() == "message" or not part.is_multipart():
        yield part
        return
    for child in cast(list[Message], part.get_payload()):
        yield from _leaves(child)


def _part_bytes(part: Message) -> bytes:
    try:
        inner = part.get_payload()
        if part.get_content_maintype() == "message" and isinstance(inner, list):
            return b"".join(cast(Message, block).as_bytes() for block in inner)
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, LookupError, UnicodeError, HeaderParseError):
        payload = None
    if isinstance(payload, bytes):
        return payload
    text = part.get_payload()
    return text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""


def _param(part: Message, name: str, header: str = "content-type") -> str:
    value = part.get_param(name, header=header)
    if isinstance(value, tuple):
        return rfc2231_text(value)
    return value.strip() if isinstance(value, str) else ""


def _part_filename(part: Message, prefer: str = "") -> str:
    for header, key in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(key, header=header)
        if isinstance(value, tuple):
            return rfc2231_text(value)
        if isinstance(value, str) and value.strip():
            return decode_header_text(value, prefer)
    return ""


def _is_text_body(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not _part_filename(part)
    )


def _part_text(part: Message) -> tuple[str, str]:
    """A text part as text, and the codec that read it."""
    data = _part_bytes(part)
    declared = _param(part, "charset") or None
    if part.get_content_subtype() == "html":
        if declared is None:
            meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.IGNORECASE)
            declared = meta.group(1).decode("ascii") if meta else None
        text, codec = decode_with_codec(data, declared)
        return html_to_text(text), codec
    text, codec = decode_with_codec(data, declared)
    return tidy(text), codec


def _kind(content_type: str) -> str:
    main = content_type.split("/", 1)[0]
    return main if main in ("image", "audio", "video") else "file"


def parse_mail(channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
    """What the stored mail ``event`` means for us; never raises on a malformed mail."""
    try:
        return _parse_mail(channel, event)
    except RecursionError:
        # Thousands of nested parts: an attack, not a customer. The event stays stored.
        logger.warning("email %s: nested too deeply to read", event.meta.get("uid", "?"))
        return [Nothing("mail nested too deeply to read")]


def _parse_mail(channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
    mail = BytesParser(policy=RAW).parsebytes(bytes(event.payload))
    at = _sent_at(mail)
    if mail.get_content_type() == "multipart/report":
        report = _param(mail, "report-type").lower()
        if report == "delivery-status":
            return [_delivery_report(mail, at)]
        if report == "disposition-notification":
            return [Nothing("read receipt")]
    # The body first: the Chinese encoding it turns out to be in settles unlabelled bytes
    # and ambiguous short text in the subject, the sender's name and the filenames.
    text, attachments, prefer = _content(mail, event)
    name, address = _sender(mail, prefer)
    own = str(channel.setting("address")).strip().lower()
    if _is_auto_reply(mail, address):
        return [Nothing("auto-reply")]
    if not address:
        return [Nothing("no sender address")]
    if own and address == own:
        return [Nothing("our own message")]
    subject = decode_header_text(mail.get("Subject"), prefer)
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    hint = CASE_NUMBER.search(subject)
    refs = message_ids(mail.get("In-Reply-To")) + list(reversed(message_ids(mail.get("References"))))
    if not _FORWARD.match(subject):
        text = strip_quoted(text)
    return [
        CustomerMessage(
            external_id=event.external_id,
            contact=Contact(kind="email", handle=address, display_name=name),
            text=text,
            sent_at=at,
            channel="email",
            subject=subject,
            attachments=tuple(attachments),
            thread_refs=tuple(dict.fromkeys(refs)),
            case_number_hint=hint.group(0).upper() if hint else "",
        )
    ]


def _sent_at(mail: Message) -> datetime:
    now = clock.now()
    try:
        sent = parsedate_to_datetime(header_bytes(mail.get("Date")).decode("ascii", "replace").strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    # A sender's clock far in the future would distort the case's timing.
    return now if sent > now + timedelta(days=1) else sent


def _sender(mail: Message, prefer: str = "") -> tuple[str, str]:
    for header in ("From", "Sender"):
        raw = mail.get(header)
        if raw is None:
            continue
        text = header_bytes(raw).decode("ascii", "surrogateescape")
        try:
            pairs = getaddresses([text])
        except (ValueError, IndexError, TypeError):
            pairs = []
        for name, address in pairs:
            if "@" in address:
                # An internationalised address arrives as raw UTF-8.
                handle = decode_bytes(header_bytes(address), "utf-8").strip().lower()
                return decode_header_text(name, prefer).strip("\"' "), clean_text(handle)
        found = re.search(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+", text)
        if found:
            return "", found.group(0).lower()
    return "", ""


def _is_auto_reply(mail: Message, address: str) -> bool:
    auto = decode_header_text(mail.get("Auto-Submitted")).split(";")[0].strip().lower()
    if auto and auto != "no":
        return True
    for header in ("X-Autoreply", "X-Autorespond"):
        value = mail.get(header)
        if value is not None and decode_header_text(value).lower() not in ("no", "false", "0"):
            return True
    if decode_header_text(mail.get("Precedence")).lower() in _AUTO_PRECEDENCE:
        return True
    return address.split("@")[0] == "mailer-daemon"


def _content(mail: Message, event: IncomingEvent) -> tuple[str, list[AttachmentIn], str]:
    """(the text, the attachments, the Chinese encoding the text parts are in, if any)."""
    plain: list[str] = []
    html: list[str] = []
    others: list[Message] = []
    prefer = ""
    for part in _leaves(mail):
        try:
            if _is_text_body(part):
                text, codec = _part_text(part)
                (html if part.get_content_subtype() == "html" else plain).append(text)
                prefer = prefer or (codec if codec in CHINESE_CODECS else "")
            else:
                others.append(part)
        except (ValueError, TypeError, LookupError, UnicodeError, HeaderParseError) as error:
            # One unreadable part must not cost the customer's whole message.
            logger.warning("email %s: a part could not be read (%s)", event.meta.get("uid", "?"), type(error).__name__)
    attachments: list[AttachmentIn] = []
    for part in others:
        try:
            content = _part_bytes(part)
            content_type = part.get_content_type()
            filename = _part_filename(part, prefer)
        except (ValueError, TypeError, LookupError, UnicodeError, HeaderParseError) as error:
            logger.warning("email %s: an attachment could not be read (%s)", event.meta.get("uid", "?"), type(error).__name__)
            continue
        if not content and not filename:
            continue
        if not filename and content_type == "message/rfc822":
            filename = "message.eml"
        attachments.append(AttachmentIn(kind=_kind(content_type), filename=filename, content_type=content_type, content=content, size=len(content)))
    if not plain and not html:
        # Some mailers name the body part itself (name="body.txt"): if nothing else is
        # the text, the first inline text part is, and stays an attachment too.
        for part in others:
            if part.get_content_type() in ("text/plain", "text/html") and part.get_content_disposition() != "attachment":
                body, codec = _part_text(part)
                (html if part.get_content_subtype() == "html" else plain).append(body)
                prefer = codec if codec in CHINESE_CODECS else ""
                break
    text = "\n\n".join(t for t in plain if t)
    if not text.strip():
        text = "\n\n".join(t for t in html if t)
    limit = filesizeformat(settings.TINGJIAN_EMAIL_MAX_BYTES)
    for skipped in event.meta.get("skipped") or ():
        content_type = str(skipped.get("content_type") or "application/octet-stream")
        size = skipped.get("size")
        attachments.append(
            AttachmentIn(
                kind=_kind(content_type), filename=str(skipped.get("filename") or ""), content_type=content_type,
                size=size if isinstance(size, int) else None,
                note=gettext("not fetched: %(size)s; the mail was over the %(limit)s limit")
                % {"size": filesizeformat(size or 0), "limit": limit},
            )
        )
    return text, attachments, prefer


def _delivery_report(mail: Message, at: datetime) -> ParsedEvent:
    """A DSN (RFC 3464): which of our messages it is about, what happened, and why."""
    originals: list[str] = []
    actions: list[str] = []
    diagnostics: list[str] = []
    for part in _leaves(mail):
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            blocks = part.get_payload()
            for block in cast(list[Message], blocks if isinstance(blocks, list) else [])[1:]:
                action = decode_header_text(block.get("Action")).lower()
                actions.append(action)
                diagnostic = decode_header_text(block.get("Diagnostic-Code"))
                diagnostic = re.sub(r"^\s*smtp\s*;\s*", "", diagnostic, flags=re.IGNORECASE)
                status = decode_header_text(block.get("Status"))
                if action != "delivered" and (diagnostic or status):
                    diagnostics.append(diagnostic or f"{action} ({status})")
        elif content_type in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                originals += message_ids(cast(Message, inner[0]).get("Message-ID"))
        elif content_type in ("text/rfc822-headers", "message/global-headers"):
            headers = HeaderParser(policy=RAW).parsestr(_part_bytes(part).decode("ascii", "surrogateescape"))
            originals += message_ids(headers.get("Message-ID"))
    if not originals:
        originals = message_ids(mail.get("In-Reply-To"))
    if not originals:
        return Nothing("delivery report without the original Message-ID")
    if actions and all(action == "delayed" for action in actions):
        return Nothing("delivery delayed")
    status = "delivered" if actions and all(a in ("delivered", "relayed", "expanded") for a in actions) else "failed"
    detail = "; ".join(dict.fromkeys(diagnostics))
    return DeliveryReceipt(
        platform_message_ids=tuple(dict.fromkeys(originals)), status=status, at=at,
        detail=detail[:500],
    )
