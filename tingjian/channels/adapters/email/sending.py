"""Replies sent over SMTP: the mail composed (threaded under the customer's, the case number
in the subject) and delivered, with each way the server can refuse put in plain words.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from tingjian import clock

from ..base import ChannelConfig, DeliveryError, OutgoingMessage, Recipient, SendResult
from .decoding import message_ids

# The email channel logs under one name, whichever of its parts speaks.
logger = logging.getLogger("tingjian.channels.adapters.email")

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


def send_reply(channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage) -> SendResult:
    """Compose the reply and hand it to the channel's SMTP server, or raise DeliveryError."""
    address = str(channel.setting("address")).strip()
    if "@" not in address:
        raise DeliveryError(gettext("This email channel has no sender address; set its “address”."), retry=False, code="config")
    if not str(channel.setting("smtp_host")).strip():
        raise DeliveryError(gettext("This email channel has no SMTP server; set its “smtp_host”."), retry=False, code="config")
    mail = _compose(channel, recipient, message, address)
    _deliver(channel, mail, address, recipient.handle.strip())
    logger.info("email %s: reply sent (%d attachments)", channel.name, len(message.attachments))
    return SendResult(platform_message_id=str(mail["Message-ID"]), mode="smtp")


def _compose(channel: ChannelConfig, recipient: Recipient, message: OutgoingMessage, address: str) -> EmailMessage:
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


def _deliver(channel: ChannelConfig, mail: EmailMessage, sender: str, to: str) -> None:
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
