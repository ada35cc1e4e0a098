"""Polling an email channel's IMAP folder for new mail.

``fetch_new`` returns each new mail as an ``IncomingEvent`` (the raw message, keyed by its
Message-ID) for the ingest to store and ``adapters.email`` to parse. It reads with BODY.PEEK
on a read-only selection, so the mailbox's flags stay as the people who share it left them.
A mail over ``TINGJIAN_EMAIL_MAX_BYTES`` is not downloaded whole: its header and text parts
are, and the attachments left on the server are listed in ``meta["skipped"]``.

The caller remembers ``last_uid`` and ``uidvalidity`` (Channel.state) *after* storing the
events, and passes them back at the next poll. That is also what makes moving mail to the
"processed" folder safe: mails are moved at the poll *after* the one that fetched them,
once ``last_uid`` proves they were stored, so a crash between fetching and storing never
hides a mail in the processed folder unread.

Nothing here logs an address or a word of a mail: counts and UIDs only.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import ssl
from dataclasses import dataclass, field
from email.parser import BytesParser
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from .adapters.base import ChannelConfig, IncomingEvent
from .adapters.email import RAW, filename_from_params, message_ids

logger = logging.getLogger(__name__)

# Mails fetched per call; the caller polls again while ``FetchResult.more`` is set.
BATCH = 100
_CHUNK = 500  # UIDs per FETCH / MOVE command


class MailboxUnavailable(Exception):
    """The mailbox cannot be read at all: server unreachable, login refused, no such folder.

    The message is in plain words for the channel's administrator (no password, no address).
    """


@dataclass(frozen=True)
class FetchResult:
    events: list[IncomingEvent]
    last_uid: int  # remember this (with uidvalidity) once the events are stored
    uidvalidity: int | None
    problems: list[str] = field(default_factory=list)  # mails that could not be fetched, in plain words
    more: bool = False  # more new mail is waiting than one call fetches


@dataclass(frozen=True)
class _Leaf:
    part: str  # IMAP section number, e.g. "2" or "1.2"
    content_type: str
    filename: str
    size: int  # decoded size (estimated from the encoded size for base64)
    is_text: bool


def fetch_new(
    channel: ChannelConfig, *, last_uid: int, uidvalidity: int | None, limit: int = BATCH
) -> FetchResult:
    """The mails that arrived in the channel's folder since ``last_uid``, oldest first."""
    max_bytes = int(settings.TINGJIAN_EMAIL_MAX_BYTES)
    folder = str(channel.setting("imap_folder")).strip() or "INBOX"
    processed = str(channel.setting("imap_processed_folder")).strip()
    client = _connect(channel)
    try:
        try:
            selected = client.select_folder(folder, readonly=not processed)
        except (IMAPClientAbortError, OSError) as error:
            raise _lost(channel, error) from error
        except IMAPClientError as error:
            raise MailboxUnavailable(
                gettext("The mail folder “%(folder)s” cannot be opened: %(reason)s") % {"folder": folder, "reason": _reason(error)}
            ) from error
        reported = selected.get(b"UIDVALIDITY")
        current = int(reported) if reported is not None else None
        problems: list[str] = []
        start = max(0, int(last_uid))
        if uidvalidity is not None and current is not None and int(uidvalidity) != current:
            # The server renumbered the folder: the old UIDs mean nothing any more. Start over;
            # mails already stored come back with the same Message-ID and are recognised.
            logger.warning("mailbox %s: UIDVALIDITY changed, reading the folder again from the start", channel.name)
            start = 0
        elif processed and start:
            problems += _move_processed(client, channel, start, processed)
        try:
            uids = sorted(uid for uid in client.search(["UID", f"{start + 1}:*"]) if uid > start)
            batch = uids[: max(1, limit)]
            sizes: dict[int, int] = {}
            for index in range(0, len(batch), _CHUNK):
                for uid, data in client.fetch(batch[index : index + _CHUNK], ["RFC822.SIZE"]).items():
                    sizes[uid] = int(data.get(b"RFC822.SIZE") or 0)
        except (IMAPClientAbortError, OSError) as error:
            raise _lost(channel, error) from error
        except IMAPClientError as error:
            raise MailboxUnavailable(
                gettext("The mail server could not list the new mail in “%(folder)s”: %(reason)s") % {"folder": folder, "reason": _reason(error)}
            ) from error
        more = len(uids) > len(batch)
        events: list[IncomingEvent] = []
        high = start
        for uid in batch:
            try:
                fetched = _fetch_one(client, uid, sizes.get(uid, 0), max_bytes)
            except (IMAPClientAbortError, OSError) as error:
                # The connection is gone: keep what was read, this mail is fetched next time.
                problems.append(gettext("Mail UID %(uid)s: the connection was lost while reading it (%(reason)s); it will be read at the next poll.") % {"uid": uid, "reason": _reason(error)})
                more = True
                break
            except (IMAPClientError, ValueError, KeyError, IndexError, TypeError) as error:
                # This one mail is unreadable; the others must not wait for it.
                problems.append(gettext("Mail UID %(uid)s could not be read and was skipped: %(reason)s") % {"uid": uid, "reason": _reason(error)})
                high = uid
                continue
            high = uid
            if fetched is None:  # expunged meanwhile
                continue
            raw, meta = fetched
            events.append(IncomingEvent(external_id=_external_id(raw), payload=raw, content_type="message/rfc822", meta=meta))
        logger.info(
            "mailbox %s: %d new mails fetched (%d truncated), %d problems, UIDs up to %d",
            channel.name, len(events), sum(1 for e in events if e.meta.get("truncated")), len(problems), high,
        )
        return FetchResult(events=events, last_uid=high, uidvalidity=current, problems=problems, more=more)
    finally:
        with contextlib.suppress(IMAPClientError, OSError):
            client.logout()


# --- Connecting ---------------------------------------------------------------------------


def _flag(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return default
    return text not in ("0", "false", "no", "off")


def _reason(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    text = " ".join(str(text).split())
    return text if len(text) <= 200 else text[:199] + "…"


def _lost(channel: ChannelConfig, error: BaseException) -> MailboxUnavailable:
    return MailboxUnavailable(
        gettext("The connection to the mail server %(server)s was lost (%(reason)s).")
        % {"server": str(channel.setting("imap_host")), "reason": _reason(error)}
    )


def _connect(channel: ChannelConfig) -> IMAPClient:
    host = str(channel.setting("imap_host")).strip()
    if not host:
        raise MailboxUnavailable(gettext("No IMAP server is set for this mailbox (“imap_host”)."))
    use_ssl = _flag(channel.setting("imap_ssl"), True)
    raw_port = str(channel.setting("imap_port")).strip()
    try:
        port = int(raw_port) if raw_port else (993 if use_ssl else 143)
    except ValueError:
        raise MailboxUnavailable(gettext("The IMAP port “%(port)s” is not a number.") % {"port": raw_port}) from None
    timeout = float(settings.TINGJIAN_OUTBOUND_TIMEOUT)
    server = f"{host}:{port}"
    try:
        client = IMAPClient(
            host, port=port, ssl=use_ssl, ssl_context=ssl.create_default_context() if use_ssl else None,
            timeout=SocketTimeout(connect=timeout, read=max(timeout, 60.0)),
        )
    except ssl.SSLCertVerificationError as error:
        raise MailboxUnavailable(
            gettext("The certificate of the mail server %(server)s could not be verified (%(reason)s).")
            % {"server": server, "reason": error.verify_message or _reason(error)}
        ) from error
    except (OSError, IMAPClientError) as error:
        raise MailboxUnavailable(
            gettext("Could not connect to the mail server %(server)s (%(reason)s).") % {"server": server, "reason": _reason(error)}
        ) from error
    try:
        client.login(str(channel.setting("imap_user")), channel.secret("imap_password"))
    except (LoginError, IMAPClientError, OSError) as error:
        with contextlib.suppress(OSError):
            client.shutdown()
        if isinstance(error, (IMAPClientAbortError, OSError)):
            raise MailboxUnavailable(
                gettext("Could not connect to the mail server %(server)s (%(reason)s).") % {"server": server, "reason": _reason(error)}
            ) from error
        raise MailboxUnavailable(
            gettext("The mail server %(server)s refused the login; check the IMAP user and password of this mailbox.") % {"server": server}
        ) from error
    return client


# --- Moving what was stored ---------------------------------------------------------------


def _move_processed(client: IMAPClient, channel: ChannelConfig, up_to: int, folder: str) -> list[str]:
    """Move the mails up to UID ``up_to`` (fetched and stored at an earlier poll) to ``folder``."""
    try:
        done = sorted(uid for uid in client.search(["UID", f"1:{up_to}"]) if uid <= up_to)
        if not done:
            return []
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for index in range(0, len(done), _CHUNK):
            chunk = done[index : index + _CHUNK]
            if client.has_capability("MOVE"):
                client.move(chunk, folder)
            else:
                client.copy(chunk, folder)
                client.delete_messages(chunk)
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(chunk)
                else:
                    client.expunge()
        logger.info("mailbox %s: %d processed mails moved", channel.name, len(done))
        return []
    except (IMAPClientAbortError, OSError) as error:
        raise _lost(channel, error) from error
    except IMAPClientError as error:
        return [gettext("Processed mails could not be moved to “%(folder)s”: %(reason)s") % {"folder": folder, "reason": _reason(error)}]


# --- Fetching one mail --------------------------------------------------------------------


def _section(data: dict[bytes, Any], name: bytes) -> bytes | None:
    """A BODY[...] item of a FETCH answer; a partial one comes back as ``BODY[1]<0>``."""
    for key, value in data.items():
        if isinstance(key, bytes) and (key == name or key.startswith(name + b"<")):
            return bytes(value) if value is not None else b""
    return None


def _fetch_one(client: IMAPClient, uid: int, size: int, max_bytes: int) -> tuple[bytes, dict[str, Any]] | None:
    if size <= max_bytes:
        data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
        if not data:
            return None
        raw = _section(data, b"BODY[]")
        if raw is None:
            raise ValueError("the server sent no content")
        return raw, {"uid": uid, "truncated": False, "skipped": []}
    data = client.fetch([uid], ["BODY.PEEK[HEADER]", "BODYSTRUCTURE"]).get(uid)
    if not data:
        return None
    header = _section(data, b"BODY[HEADER]") or b""
    structure = data[b"BODYSTRUCTURE"]
    leaves = list(_leaves(structure, ""))
    budget = max(0, max_bytes - len(header))
    texts: list[bytes] = []
    skipped: list[dict[str, Any]] = []
    for leaf in leaves:
        if not leaf.is_text:
            skipped.append({"part": leaf.part, "filename": leaf.filename, "content_type": leaf.content_type, "size": leaf.size})
            continue
        if not structure.is_multipart:  # a single huge text: its start, as much as the limit allows
            body = _section(client.fetch([uid], [f"BODY.PEEK[TEXT]<0.{budget}>"])[uid], b"BODY[TEXT]") or b""
            return header + body, {"uid": uid, "truncated": True, "skipped": [], "size": size}
        answer = client.fetch([uid], [f"BODY.PEEK[{leaf.part}.MIME]", f"BODY.PEEK[{leaf.part}]<0.{budget}>"])[uid]
        mime = _section(answer, f"BODY[{leaf.part}.MIME]".encode()) or b"\r\n"
        body = _section(answer, f"BODY[{leaf.part}]".encode()) or b""
        budget = max(0, budget - len(body))
        texts.append(mime + body)
    return _rebuild(header, texts, uid), {"uid": uid, "truncated": True, "skipped": skipped, "size": size}


def _rebuild(header: bytes, texts: list[bytes], uid: int) -> bytes:
    """A mail of the original header and the fetched text parts (multipart/mixed)."""
    fields = re.split(rb"\r?\n(?![ \t])", header.rstrip(b"\r\n"))
    kept = [f for f in fields if f and not re.match(rb"(?i)content-(type|transfer-encoding)\s*:", f)]
    # Deterministic, so a mail without a Message-ID keeps its sha256 id when fetched again.
    boundary = b"tingjian-" + hashlib.sha256(header + str(uid).encode()).hexdigest()[:24].encode()
    out = [b"\r\n".join(kept), b'\r\nContent-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n']
    for text in texts:
        out += [b"--", boundary, b"\r\n", text, b"\r\n"]
    out += [b"--", boundary, b"--\r\n"]
    return b"".join(out)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "surrogateescape")
    return "" if value is None else str(value)


def _params(value: Any) -> list[tuple[str, str]]:
    items = list(value) if isinstance(value, (tuple, list)) else []
    return [(_text(items[i]).lower(), _text(items[i + 1])) for i in range(0, len(items) - 1, 2)]


def _leaves(node: Any, prefix: str) -> list[_Leaf]:
    """The leaf parts of a BODYSTRUCTURE with their section numbers (RFC 3501 7.4.2)."""
    if node.is_multipart:
        found: list[_Leaf] = []
        for index, child in enumerate(node[0], start=1):
            found += _leaves(child, f"{prefix}.{index}" if prefix else str(index))
        return found
    maintype, subtype = _text(node[0]).lower(), _text(node[1]).lower()
    params = _params(node[2])
    encoding = _text(node[5]).lower()
    encoded_size = int(node[6] or 0)
    # The extension fields follow the type-specific ones: text has "lines", message/rfc822
    # has envelope, body and lines; then md5, then the disposition.
    position = {"text": 9}.get(maintype, 11 if (maintype, subtype) in (("message", "rfc822"), ("message", "global")) else 8)
    disposition = node[position] if len(node) > position else None
    kind = _text(disposition[0]).lower() if isinstance(disposition, tuple) and disposition else ""
    disposition_params = _params(disposition[1]) if isinstance(disposition, tuple) and len(disposition) > 1 else []
    filename = filename_from_params(disposition_params) or filename_from_params(params)
    is_text = maintype == "text" and subtype in ("plain", "html") and kind != "attachment" and not filename
    size = encoded_size * 3 // 4 if encoding == "base64" else encoded_size
    return [_Leaf(part=prefix or "1", content_type=f"{maintype}/{subtype}", filename=filename, size=size, is_text=is_text)]


def _external_id(raw: bytes) -> str:
    """The mail's Message-ID, the id threading uses; a hash of the mail when it has none."""
    found = message_ids(BytesParser(policy=RAW).parsebytes(raw, headersonly=True).get("Message-ID"))
    if found and len(found[0]) <= 255:
        return found[0]
    if found:  # an absurdly long id would not fit InboundEvent.external_id
        return "sha256:" + hashlib.sha256(found[0].encode()).hexdigest()
    return "sha256:" + hashlib.sha256(raw).hexdigest()

