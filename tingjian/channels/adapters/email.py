"""Email: mails fetched from an IMAP mailbox (``channels.mailbox``), replies sent over SMTP.

Real mail is messy, and a complaint must never be lost to a charset: every header and text
part is decoded with fallbacks (the declared charset read generously, then UTF-8, then a
detection biased towards the Chinese encodings our customers write in, then latin-1), and
``parse`` never raises on a malformed mail. Only what the customer wrote above the quoted
history becomes the message text. Nothing here touches the database; nothing logged carries
an address or a word of a mail.
"""

from __future__ import annotations

import binascii
import codecs
import logging
import re
import smtplib
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.policy import SMTP, Compat32
from email.utils import (
    collapse_rfc2231_value,
    decode_params,
    format_datetime,
    getaddresses,
    make_msgid,
    parsedate_to_datetime,
    unquote,
)
from html.parser import HTMLParser
from typing import Any, ClassVar, cast

import charset_normalizer
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from tingjian import clock

from .base import (
    Adapter,
    AttachmentIn,
    ChannelConfig,
    Contact,
    CustomerMessage,
    DeliveryError,
    DeliveryReceipt,
    IncomingEvent,
    Nothing,
    OutgoingMessage,
    ParsedEvent,
    Recipient,
    SendResult,
)

logger = logging.getLogger(__name__)

SUBJECT_LENGTH = 300  # cases.Message.subject
CASE_NUMBER = re.compile(r"\bC-\d{4}-\d{6}\b", re.IGNORECASE)


# --- Charsets ----------------------------------------------------------------------------

# Labels seen in real mail, mapped to the codec that reads what such mailers really send:
# "gb2312" mail routinely carries GBK/GB18030 characters, "big5" carries HKSCS ones.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "gb_2312-80": "gb18030", "euc-cn": "gb18030", "x-euc-cn": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "gb2312_charset": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs", "csbig5": "big5hkscs",
    "big5-hkscs": "big5hkscs", "big5hkscs": "big5hkscs", "chinesebig5_charset": "big5hkscs",
    "ks_c_5601-1987": "cp949", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "us-ascii": "ascii",
}
# Labels that say nothing about the bytes: Windows font charsets, placeholders.
_NO_CHARSET = {"", "default_charset", "default", "unknown-8bit", "x-unknown", "unknown", "x-user-defined", "ansi_charset", "none", "charset"}
_MULTIBYTE = ("utf", "gb", "big5", "cp950", "cp949", "cp932", "euc", "shift_jis", "iso2022", "hz", "johab")
# Labels careless web forms put on anything: read as labelled unless the bytes are Chinese.
_LATIN = {"ascii", "cp1252", "iso8859-15"}
_CJK = ("gb18030", "big5hkscs")


def _codec(label: str | None) -> str:
    """The Python codec for a declared charset label, or "" when the label is no help."""
    name = (label or "").strip().strip("\"'").lower()
    if name in _NO_CHARSET:
        return ""
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return ""
    return {"big5": "big5hkscs", "gb2312": "gb18030", "gbk": "gb18030", "iso8859-1": "cp1252"}.get(codec, codec)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _common_share(text: str) -> float:
    """How much of the non-ASCII text is everyday Chinese: characters from the frequent tiers
    of GB2312 or Big5, and CJK punctuation. A wrong CJK guess lands in rare characters."""
    total = common = 0
    for char in text:
        if char.isascii():
            continue
        if total == 2000:  # a sample is enough, and a long mail must not cost seconds
            break
        total += 1
        if "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef":
            common += 1
            continue
        try:
            gb = char.encode("gb2312")
            if len(gb) == 2 and 0xB0 <= gb[0] <= 0xD7:
                common += 1
                continue
        except UnicodeEncodeError:
            pass
        try:
            b5 = char.encode("big5")
            if len(b5) == 2 and 0xA440 <= (b5[0] << 8 | b5[1]) <= 0xC67E:
                common += 1
        except UnicodeEncodeError:
            pass
    return common / total if total else 0.0


def _default_cjk() -> str:
    """Which Chinese encoding wins a tie: the one of the product's language."""
    language = str(getattr(settings, "LANGUAGE_CODE", "")).lower()
    return "gb18030" if language in ("zh-hans", "zh-cn", "zh-sg") else "big5hkscs"


def _guess_cjk(data: bytes, prefer: str = "") -> tuple[str, str, float] | None:
    """The likelier reading of GB18030 and Big5-HKSCS (those that decode): (text, codec, score).

    Two or three characters can be everyday Chinese in both (謝謝 in Big5 is 谅谅 in GBK):
    then the charset the rest of the mail is in decides, else the product's language.
    """
    order = [prefer] if prefer in _CJK else []
    order += [codec for codec in (_default_cjk(), *_CJK) if codec not in order]
    scored = [(text, codec, _common_share(text)) for codec in order if (text := _strict(data, codec)) is not None]
    return max(scored, key=lambda reading: reading[2]) if scored else None  # max keeps the first of equals


def _decode(data: bytes, declared: str | None, prefer: str = "") -> tuple[str, str]:
    """(text, the codec that read it) for bytes whatever their label says; never raises."""
    if not data:
        return "", ""
    if data.isascii():
        return data.decode("ascii"), ""
    codec = _codec(declared)
    multibyte = codec.startswith(_MULTIBYTE)
    if multibyte and (text := _strict(data, codec)) is not None:
        if codec in _CJK and _common_share(text) < 0.8:
            # Decodes, but largely as rare characters: GBK labelled Big5, or the reverse.
            other = _CJK[1 - _CJK.index(codec)]
            alternative = _strict(data, other)
            if alternative is not None and _common_share(alternative) >= 0.9:
                return alternative, other
        return text, codec
    if (text := _strict(data, "utf-8")) is not None:
        # Valid UTF-8 is rarely an accident: only two or three GBK characters can pass for
        # a word of Cyrillic or Greek (谢谢 is "лл"); Latin accents are believed.
        if not all(c.isascii() or "\u0370" <= c < "\u0800" for c in text):
            return text, "utf-8"
        guess = _guess_cjk(data, prefer)
        return (guess[0], guess[1]) if guess and guess[2] >= 0.9 else (text, "utf-8")
    if codec in _LATIN:
        # Chinese labelled latin-1 by a careless form: believe the label unless the bytes
        # read as everyday Chinese.
        guess = _guess_cjk(data, prefer)
        if guess and guess[2] >= 0.8 and sum(not c.isascii() for c in guess[0]) >= 4:
            return guess[0], guess[1]
        return (_strict(data, "cp1252") or data.decode("latin-1")), "cp1252"
    if codec and not multibyte and (text := _strict(data, codec)) is not None:
        return text, codec
    if codec:
        # Mostly right as labelled (a character cut at the end, a stray byte): keep it.
        text = data.decode(codec, "replace")
        errors = text.count("\ufffd")
        if errors <= len(text) // 200 or (errors == 1 and text.endswith("\ufffd")):
            return text, codec
    text = data.decode("utf-8", "replace")
    if text.count("\ufffd") <= len(text) // 200:
        return text, "utf-8"
    guess = _guess_cjk(data, prefer)
    if guess and guess[2] >= 0.5:
        return guess[0], guess[1]
    # charset-normalizer alone misreads short Chinese (a subject, a name) as cp949 or cp932,
    # hence the Chinese readings above; it judges what is neither.
    match = charset_normalizer.from_bytes(data).best()
    if match is not None:
        return str(match), match.encoding
    if guess:
        return guess[0], guess[1]
    return data.decode("latin-1"), "latin-1"


def decode_bytes(data: bytes, declared: str | None = None, prefer: str = "") -> str:
    """Text from bytes whatever their label says; never raises. ``prefer`` is the Chinese
    encoding the rest of the mail turned out to be in (it settles ambiguous short text)."""
    return _decode(data, declared, prefer)[0]


# --- Headers ------------------------------------------------------------------------------


class _RawHeaders(Compat32):
    """Compat32 that hands header values back raw (8-bit bytes as surrogates), so that we
    decode them ourselves instead of getting ``Header`` objects or "?" replacements."""

    def header_fetch_parse(self, name: str, value: str) -> str:  # type: ignore[override]
        return value


RAW = _RawHeaders()
_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def _clean(text: str) -> str:
    """Safe to store: no NUL or control characters, no lone surrogates."""
    return _CONTROL.sub("", text).encode("utf-8", "replace").decode("utf-8")


def _raw(value: Any) -> bytes:
    """A raw header value's bytes (the parser keeps 8-bit bytes as surrogates), unfolded."""
    text = re.sub(r"\r?\n(?=[ \t])", "", "" if value is None else str(value))
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _word_bytes(encoding: bytes, payload: bytes) -> bytes | None:
    if encoding.upper() == b"B":
        try:
            return binascii.a2b_base64(payload + b"=" * (-len(payload) % 4))
        except binascii.Error:
            return None
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), payload.replace(b"_", b" "))


def decode_header_text(value: Any, prefer: str = "") -> str:
    """A header value as text: RFC 2047 encoded words (consecutive ones in one charset joined
    before decoding, as mailers split multi-byte characters across them) and raw 8-bit."""
    data = _raw(value)
    pieces: list[tuple[bytes, str | None]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(data):
        decoded = _word_bytes(match.group(2), match.group(3))
        if decoded is None:
            continue
        between = data[position : match.start()]
        previous_encoded = bool(pieces) and pieces[-1][1] is not None
        if between and not (previous_encoded and not between.strip()):
            pieces.append((between, None))
        charset = match.group(1).split(b"*")[0].decode("ascii", "replace").lower()
        if pieces and pieces[-1][1] == charset:
            pieces[-1] = (pieces[-1][0] + decoded, charset)
        else:
            pieces.append((decoded, charset))
        position = match.end()
    pieces.append((data[position:], None))
    text = "".join(decode_bytes(chunk, charset, prefer) for chunk, charset in pieces)
    return _clean(" ".join(text.split()))


def message_ids(value: Any) -> list[str]:
    """The Message-IDs in a header (``<id@host>`` each), in order; bare ids get brackets."""
    text = _raw(value).decode("ascii", "replace")
    found = re.findall(r"<[^<>\s]+>", text)
    if not found:
        found = [f"<{token.strip('<>')}>" for token in text.split() if "@" in token]
    return [_clean(item) for item in found]


def filename_from_params(params: list[tuple[str, str]]) -> str:
    """A filename from MIME parameters: RFC 2231 (``filename*``, continuations) or RFC 2047."""
    try:
        decoded = decode_params([("", ""), *params])[1:]
    except (ValueError, IndexError, LookupError):
        decoded = list(params)
    values = {name.lower(): value for name, value in decoded}
    for key in ("filename", "name"):
        if key in values:
            value = values[key]
            if isinstance(value, tuple):
                return _rfc2231_text(value)
            return decode_header_text(collapse_rfc2231_value(value))
    return ""


def _rfc2231_text(value: tuple[str | None, str | None, str]) -> str:
    charset, _language, text = value
    try:
        raw = unquote(text).encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        raw = unquote(text).encode("utf-8", "surrogateescape")
    return _clean(decode_bytes(raw, charset or "utf-8"))


# --- Bodies -------------------------------------------------------------------------------


class _HTMLText(HTMLParser):
    """Readable text from HTML: blocks become lines, lists get dashes, blockquotes become
    "> " lines (so quoted history is recognised as in plain text), scripts and styles vanish."""

    BLOCKS: ClassVar[set[str]] = {
        "p", "div", "br", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dd", "dt", "address",
    }
    PARAGRAPHS: ClassVar[set[str]] = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre"}
    HIDDEN: ClassVar[set[str]] = {"script", "style", "head", "title", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.hidden = 0
        self.quote = 0
        self.pre = 0

    def _break(self, *, blank: bool = False) -> None:
        """End the current line; ``blank`` also leaves an empty line (a paragraph's end, <br>)."""
        text = self.line.rstrip() if self.pre else self.line.strip()
        if text:
            self.lines.append("> " * self.quote + text)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self.line = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self._break(blank=not self.line.strip())
        elif tag in self.BLOCKS:
            self._break()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.line = "- "
        elif tag == "td" and self.line.strip():
            self.line += " "

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS and tag != "br":
            self._break(blank=tag in self.PARAGRAPHS)
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.line += first
            for part in rest:
                self._break()
                self.line = part
        else:
            self.line += re.sub(r"[ \t\r\n\f\xa0]+", " ", data)

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage; keep what it read
        pass
    return _tidy(parser.text())


def _tidy(text: str) -> str:
    text = _clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_ATTRIBUTION = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE)
_ATTRIBUTION_ZH = re.compile(r"(寫道|写道)\s*[:：]?\s*$")  # on a line that also has a year
_ORIGINAL = re.compile(r"^\s*-{3,}\s*(original message|原始邮件|原始郵件|原始訊息|原始信息)\s*-{3,}\s*$", re.IGNORECASE)
_HEADER_FROM = re.compile(r"^\s*\*?(from|寄件者|寄件人|發件人|发件人|發信人|发信人)\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|cc|subject|傳送時間|寄件日期|發送時間|发送时间|日期|時間|时间|收件者|收件人|副本|抄送|主旨|主題|主题)\*?\s*[:：]",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^[\s_\-=*]*$")
_FORWARD = re.compile(r"^\s*(fwd?|轉寄|转发|轉發)\s*[:：]", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """What the customer wrote above the quoted history; all of it if that leaves nothing."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        following = lines[index + 1 : index + 5]
        if (
            _ORIGINAL.match(line)
            or _ATTRIBUTION.match(line)
            or (_ATTRIBUTION_ZH.search(line) and re.search(r"\d{4}", line))
            # Gmail wraps a long attribution: "On …, Name <" / "addr> wrote:"
            or (re.match(r"^\s*On\b", line) and following and _ATTRIBUTION.match(f"{line} {following[0]}"))
            or (_HEADER_FROM.match(line) and any(_HEADER_NEXT.match(other) for other in following))
        ):
            cut = index
            break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    while kept and _SEPARATOR.match(kept[-1]):
        kept.pop()
    stripped = _tidy("\n".join(kept))
    return stripped or _tidy(text)


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
        return _rfc2231_text(value)
    return value.strip() if isinstance(value, str) else ""


def _part_filename(part: Message, prefer: str = "") -> str:
    for header, key in (("content-disposition", "filename"), ("content-type", "name")):
        value = part.get_param(key, header=header)
        if isinstance(value, tuple):
            return _rfc2231_text(value)
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
        text, codec = _decode(data, declared)
        return html_to_text(text), codec
    text, codec = _decode(data, declared)
    return _tidy(text), codec


def _kind(content_type: str) -> str:
    main = content_type.split("/", 1)[0]
    return main if main in ("image", "audio", "video") else "file"


# --- The adapter ----------------------------------------------------------------------------

_AUTO_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|回复|回覆|答复|答覆)\s*[:：]", re.IGNORECASE)


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _port(value: Any, default: int) -> int:
    try:
        return int(value) if str(value).strip() else default
    except ValueError:
        return default


_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _reply_text(value: bytes | str) -> str:
    """A server's reply for a DeliveryError: one line, short, and without addresses (the
    message may well be logged by whoever handles the error)."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = _ADDRESS.sub("…", " ".join(text.split()))
    return text if len(text) <= 300 else text[:299] + "…"


class EmailAdapter(Adapter):
    kind = "email"
    label = "Email"
    config_keys = (
        "address", "display_name", "imap_host", "imap_port", "imap_user", "imap_ssl", "imap_folder",
        "imap_processed_folder", "smtp_host", "smtp_port", "smtp_user", "smtp_security",
    )
    secret_keys = ("imap_password", "smtp_password")
    required_keys = ("address", "imap_host", "imap_user", "imap_password", "smtp_host")
    has_webhook = False

    # --- Inbound ---------------------------------------------------------------------------

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            return self._parse(channel, event)
        except RecursionError:
            # Thousands of nested parts: an attack, not a customer. The event stays stored.
            logger.warning("email %s: nested too deeply to read", event.meta.get("uid", "?"))
            return [Nothing("mail nested too deeply to read")]

    def _parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        mail = BytesParser(policy=RAW).parsebytes(bytes(event.payload))
        at = self._sent_at(mail)
        if mail.get_content_type() == "multipart/report":
            report = _param(mail, "report-type").lower()
            if report == "delivery-status":
                return [self._delivery_report(mail, at)]
            if report == "disposition-notification":
                return [Nothing("read receipt")]
        # The body first: the Chinese encoding it turns out to be in settles unlabelled bytes
        # and ambiguous short text in the subject, the sender's name and the filenames.
        text, attachments, prefer = self._content(mail, event)
        name, address = self._sender(mail, prefer)
        own = str(channel.setting("address")).strip().lower()
        if self._is_auto_reply(mail, address):
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

    @staticmethod
    def _sent_at(mail: Message) -> datetime:
        now = clock.now()
        try:
            sent = parsedate_to_datetime(_raw(mail.get("Date")).decode("ascii", "replace").strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            return now
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        # A sender's clock far in the future would distort the case's timing.
        return now if sent > now + timedelta(days=1) else sent

    @staticmethod
    def _sender(mail: Message, prefer: str = "") -> tuple[str, str]:
        for header in ("From", "Sender"):
            raw = mail.get(header)
            if raw is None:
                continue
            text = _raw(raw).decode("ascii", "surrogateescape")
            try:
                pairs = getaddresses([text])
            except (ValueError, IndexError, TypeError):
                pairs = []
            for name, address in pairs:
                if "@" in address:
                    # An internationalised address arrives as raw UTF-8.
                    handle = decode_bytes(_raw(address), "utf-8").strip().lower()
                    return decode_header_text(name, prefer).strip("\"' "), _clean(handle)
            found = re.search(r"[\w.+'-]+@[\w-]+(\.[\w-]+)+", text)
            if found:
                return "", found.group(0).lower()
        return "", ""

    @staticmethod
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

    def _content(self, mail: Message, event: IncomingEvent) -> tuple[str, list[AttachmentIn], str]:
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
                    prefer = prefer or (codec if codec in _CJK else "")
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
                    prefer = codec if codec in _CJK else ""
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

    def _delivery_report(self, mail: Message, at: datetime) -> ParsedEvent:
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

    # --- Outbound --------------------------------------------------------------------------

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        return ""  # email has no reply window

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        address = str(channel.setting("address")).strip()
        if "@" not in address:
            raise DeliveryError(gettext("This email channel has no sender address; set its “address”."), retry=False, code="config")
        if not str(channel.setting("smtp_host")).strip():
            raise DeliveryError(gettext("This email channel has no SMTP server; set its “smtp_host”."), retry=False, code="config")
        mail = self._compose(channel, recipient, message, address)
        self._deliver(channel, mail, address, recipient.handle.strip())
        logger.info("email %s: reply sent (%d attachments)", channel.name, len(message.attachments))
        return SendResult(platform_message_id=str(mail["Message-ID"]), mode="smtp")

    def _compose(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage, address: str) -> EmailMessage:
        display_name = " ".join(str(channel.setting("display_name")).split())
        mail = EmailMessage(policy=SMTP.clone(cte_type="7bit"))
        try:
            mail["From"] = Address(display_name=display_name, addr_spec=address)
        except (ValueError, IndexError, HeaderParseError) as error:
            raise DeliveryError(gettext("This email channel's sender address is not valid."), retry=False, code="config") from error
        try:
            mail["To"] = Address(addr_spec=recipient.handle.strip())
        except (ValueError, IndexError, HeaderParseError) as error:
            raise DeliveryError(gettext("The customer's email address is not valid."), retry=False, code="recipient") from error
        subject = " ".join(recipient.subject.split()) or gettext("Your message")
        if recipient.in_reply_to and not _REPLY_PREFIX.match(subject):
            subject = f"Re: {subject}"
        tag = f"[{message.case_number}]" if message.case_number else ""
        if tag and tag.lower() not in subject.lower():
            subject = f"{subject} {tag}"
        mail["Subject"] = subject
        mail["Date"] = format_datetime(clock.now())
        mail["Message-ID"] = make_msgid(domain=address.rpartition("@")[2])
        parent = message_ids(recipient.in_reply_to)
        if parent:
            mail["In-Reply-To"] = parent[0]
        references = list(dict.fromkeys([ref for value in recipient.references for ref in message_ids(value)] + parent))
        if references:
            # RFC 5322 lets a long chain be shortened: keep the first and the latest.
            mail["References"] = " ".join(references if len(references) <= 20 else [references[0], *references[-19:]])
        mail.set_content(message.text.replace("\r\n", "\n"), subtype="plain", charset="utf-8")
        for attachment in message.attachments:
            if attachment.content is None:
                raise DeliveryError(
                    gettext("The attachment “%(name)s” is not available to send.") % {"name": attachment.filename or "?"},
                    retry=False, code="attachment",
                )
            maintype, _, subtype = (attachment.content_type or "application/octet-stream").partition("/")
            mail.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename or "attachment")
        return mail

    def _deliver(self, channel: ChannelConfig, mail: EmailMessage, sender: str, to: str) -> None:
        host = str(channel.setting("smtp_host")).strip()
        security = str(channel.setting("smtp_security", "starttls")).strip().lower() or "starttls"
        if security not in ("ssl", "starttls", "none"):
            raise DeliveryError(gettext("Unknown SMTP security “%(value)s”: use ssl, starttls or none.") % {"value": security}, retry=False, code="config")
        port = _port(channel.setting("smtp_port"), {"ssl": 465, "starttls": 587, "none": 25}[security])
        timeout = float(settings.TINGJIAN_OUTBOUND_TIMEOUT)
        user = str(channel.setting("smtp_user")).strip()
        where = f"{host}:{port}"
        smtp: smtplib.SMTP | None = None
        try:
            if security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=_tls_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            if security == "starttls":
                smtp.starttls(context=_tls_context())
            if user:
                smtp.login(user, channel.secret("smtp_password"))
            smtp.send_message(mail, from_addr=sender, to_addrs=[to])
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(
                gettext("The mail server %(server)s refused our login (%(reply)s); check the SMTP user and password.")
                % {"server": where, "reply": f"{error.smtp_code} {_reply_text(error.smtp_error)}"},
                retry=400 <= error.smtp_code < 500, code="auth",
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            raise DeliveryError(
                gettext("The mail server %(server)s does not support what this channel asks (%(what)s); check “smtp_security”.")
                % {"server": where, "what": _reply_text(str(error))},
                retry=False, code="config",
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            raise DeliveryError(
                gettext("The mail server refused the customer's address: %(reply)s")
                % {"reply": "; ".join(f"{code} {_reply_text(text)}" for code, text in replies)},
                retry=bool(replies) and all(400 <= code < 500 for code, _ in replies), code="recipient",
            ) from error
        except smtplib.SMTPSenderRefused as error:
            raise DeliveryError(
                gettext("The mail server refused our sender address: %(reply)s") % {"reply": f"{error.smtp_code} {_reply_text(error.smtp_error)}"},
                retry=400 <= error.smtp_code < 500, code="sender",
            ) from error
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                gettext("The mail server %(server)s did not accept the reply: %(reply)s")
                % {"server": where, "reply": f"{error.smtp_code} {_reply_text(error.smtp_error)}"},
                retry=not 500 <= error.smtp_code < 600, code=str(error.smtp_code),
            ) from error
        except ssl.SSLCertVerificationError as error:
            raise DeliveryError(
                gettext("The certificate of the mail server %(server)s could not be verified (%(reason)s).")
                % {"server": where, "reason": error.verify_message or error.reason},
                retry=False, code="tls",
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(
                gettext("Could not reach the mail server %(server)s (%(reason)s); will try again.")
                % {"server": where, "reason": _reply_text(getattr(error, "strerror", None) or str(error) or type(error).__name__)},
                retry=True, code="connection",
            ) from error
        finally:
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    smtp.close()


ADAPTER = EmailAdapter()
