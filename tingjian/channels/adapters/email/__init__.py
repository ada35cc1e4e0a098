"""Email: mails fetched from an IMAP mailbox (``channels.mailbox``), replies sent over SMTP.

Real mail is messy, and a complaint must never be lost to a charset: every header and text
part is decoded with fallbacks (the declared charset read generously, then UTF-8, then a
detection biased towards the Chinese encodings our customers write in, then latin-1), and
``parse`` never raises on a malformed mail. Only what the customer wrote above the quoted
history becomes the message text. Nothing here touches the database; nothing logged carries
an address or a word of a mail.

The parts: ``decoding`` (charsets and headers), ``body_text`` (HTML to text, quoted history),
``reading`` (a mail → a message, a delivery report or nothing) and ``sending`` (SMTP).
"""

from __future__ import annotations

from datetime import datetime

from ..base import (
    Adapter,
    ChannelConfig,
    IncomingEvent,
    OutgoingMessage,
    ParsedEvent,
    Recipient,
    SendResult,
)
from .body_text import html_to_text, strip_quoted
from .decoding import RAW, decode_bytes, decode_header_text, filename_from_params, message_ids
from .reading import CASE_NUMBER, SUBJECT_LENGTH, parse_mail
from .sending import send_reply

__all__ = [
    "ADAPTER", "CASE_NUMBER", "RAW", "SUBJECT_LENGTH", "EmailAdapter", "decode_bytes", "decode_header_text",
    "filename_from_params", "html_to_text", "message_ids", "strip_quoted",
]


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

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        return parse_mail(channel, event)

    def reply_window_problem(self, recipient: Recipient, now: datetime) -> str:
        return ""  # email has no reply window

    def send(self, channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
        return send_reply(channel, recipient, message)


ADAPTER = EmailAdapter()
