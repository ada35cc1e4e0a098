"""The public complaint web form (``/complain/<name>/``), one channel per brand.

Nothing calls us, so there is no webhook: the form's view (``web.views.public``) validates
a submission, keeps its files in storage (``store_upload``), builds the event with
``submission_event`` and stores it through ``channels.services.receive``. This adapter
then turns that stored JSON into a customer message in the ingest task. Replies are read
on the submitter's status page: the outbound task marks them sent without calling anyone.

The stored document (``PAYLOAD_VERSION`` 1)::

    {"version": 1, "name": "林小姐", "phone": "0912-345-678", "email": "", "branch": "tpe-xinyi",
     "subject": "", "text": "…", "language": "zh-hant", "sent_at": "2026-03-14T09:30:00+00:00",
     "attachments": [{"ref": "webform/acme/2026/03/3f…", "filename": "receipt.jpg",
                      "content_type": "image/jpeg", "size": 48213}]}

``ref`` is the file's name in Django's default storage. It never comes from the sender and
is never served: the ingest copies the bytes into the case's attachments.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tingjian import clock

from .base import (
    Adapter,
    AttachmentIn,
    ChannelConfig,
    Contact,
    CustomerMessage,
    DeliveryError,
    IncomingEvent,
    MalformedPayload,
    ParsedEvent,
)

PAYLOAD_VERSION = 1
UPLOAD_DIR = "webform"
LANGUAGES = ("zh-hant", "zh-hans", "en")
DEFAULT_RATE_LIMIT_PER_HOUR = 5
# A reference a person can read out on the phone: no 0/O, 1/I/L.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class StoredUpload:
    """A file the form accepted, already in storage (``ref``), as the payload lists it."""

    ref: str
    filename: str
    content_type: str
    size: int

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "filename": self.filename, "content_type": self.content_type, "size": self.size}


def rate_limit_per_hour(config: Mapping[str, Any]) -> int:
    """Submissions one client address may make per hour (the ``rate_limit_per_hour`` setting)."""
    try:
        value = int(config.get("rate_limit_per_hour") or DEFAULT_RATE_LIMIT_PER_HOUR)
    except (TypeError, ValueError):
        return DEFAULT_RATE_LIMIT_PER_HOUR
    return value if value > 0 else DEFAULT_RATE_LIMIT_PER_HOUR


def intro(config: Mapping[str, Any], language: str) -> str:
    """The brand's own words above the form in ``language`` ("" when it set none)."""
    key = "intro_" + (language or "").lower().replace("-", "_")
    return str(config.get(key) or "").strip()


def default_language(config: Mapping[str, Any]) -> str:
    """The page language for a visitor who has not chosen one ("" when the brand set none)."""
    value = str(config.get("language") or "").lower()
    return value if value in LANGUAGES else ""


def new_reference(now: datetime | None = None) -> str:
    """The submission's reference (and its InboundEvent.external_id), e.g. ``WF-260314-K7Q2MX``."""
    at = now or clock.now()
    tail = "".join(secrets.choice(_REFERENCE_ALPHABET) for _i in range(6))
    return f"WF-{at:%y%m%d}-{tail}"


def store_upload(channel_name: str, upload: File[bytes], *, filename: str, content_type: str) -> StoredUpload:
    """Keep an accepted upload until the ingest copies it; its name is ours, not the sender's."""
    now = clock.now()
    name = f"{UPLOAD_DIR}/{channel_name}/{now:%Y/%m}/{uuid.uuid4().hex}"
    upload.seek(0)
    saved = default_storage.save(name, upload)
    return StoredUpload(ref=saved, filename=filename[:255], content_type=content_type, size=int(upload.size or 0))


def discard_uploads(uploads: Iterable[StoredUpload]) -> None:
    """Remove files of a submission that was not stored after all."""
    for upload in uploads:
        default_storage.delete(upload.ref)


ANSWERS = ("name", "phone", "email", "branch", "subject", "text")


def submission_event(
    reference: str, answers: Mapping[str, str], *, language: str,
    uploads: Iterable[StoredUpload] = (), sent_at: datetime | None = None,
) -> IncomingEvent:
    """The InboundEvent-to-be of one validated form submission (``answers``: the ``ANSWERS``)."""
    document: dict[str, Any] = {"version": PAYLOAD_VERSION}
    document.update({key: str(answers.get(key) or "") for key in ANSWERS})
    document.update({
        "language": language, "sent_at": (sent_at or clock.now()).isoformat(),
        "attachments": [u.as_json() for u in uploads],
    })
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return IncomingEvent(external_id=reference, payload=body, content_type="application/json")


def _when(value: Any) -> datetime:
    parsed = parse_datetime(str(value)) if value else None
    return parsed if parsed is not None and parsed.tzinfo is not None else clock.now()


def _read(ref: str) -> bytes | None:
    if not ref.startswith(f"{UPLOAD_DIR}/") or ".." in ref:
        return None  # only our own upload area, whatever a stored payload says
    try:
        with default_storage.open(ref, "rb") as handle:
            content: bytes = handle.read()
    except (OSError, SuspiciousOperation):
        return None
    return content


def _attachment(item: Mapping[str, Any]) -> AttachmentIn:
    ref = str(item.get("ref") or "")
    content_type = str(item.get("content_type") or "")
    filename = str(item.get("filename") or "")
    kind = "image" if content_type.startswith("image/") else "file"
    content = _read(ref)
    if content is None:
        # Filed without it; the fetch task tries the storage again (``fetch_media``).
        return AttachmentIn(
            kind=kind, filename=filename, content_type=content_type, media_ref=ref,
            size=item.get("size") if isinstance(item.get("size"), int) else None,
            note="not found in the web form's upload storage yet",
        )
    return AttachmentIn(kind=kind, filename=filename, content_type=content_type, content=content, size=len(content))


class WebformAdapter(Adapter):
    kind = "webform"
    label = "Web form"
    has_webhook = False
    config_keys = ("intro_zh_hant", "intro_zh_hans", "intro_en", "rate_limit_per_hour")

    def discard_staged(self, channel: ChannelConfig, event: IncomingEvent) -> None:
        """The case now holds its own copy of each upload: the staged file goes (personal data
        is not kept twice). A file missing when the case was filed is missing now too: the
        view stores every upload before the event exists."""
        try:
            items = [a for a in json.loads(event.payload).get("attachments") or [] if isinstance(a, dict)]
        except (ValueError, AttributeError):
            return
        for item in items:
            ref = str(item.get("ref") or "")
            if ref.startswith(f"{UPLOAD_DIR}/") and ".." not in ref:
                default_storage.delete(ref)

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            data = json.loads(event.payload)
            text = str(data["text"])
            attachments = [a for a in data.get("attachments") or [] if isinstance(a, dict)]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedPayload(f"stored web form submission is not readable: {type(exc).__name__}") from exc
        email = str(data.get("email") or "").strip()
        phone = str(data.get("phone") or "").strip()
        if email:
            kind, handle, given = "email", email, (("phone", phone),) if phone else ()
        elif phone:
            kind, handle, given = "phone", phone, ()
        else:
            raise MalformedPayload("the web form submission names no way to reach the customer")
        language = str(data.get("language") or "")
        contact = Contact(
            kind=kind, handle=handle, display_name=str(data.get("name") or "").strip(), given=given,
            language=language if language in LANGUAGES else "",
        )
        branch = str(data.get("branch") or "").strip()
        return [
            CustomerMessage(
                external_id=f"webform:{channel.name}:{event.external_id}", contact=contact, text=text,
                sent_at=_when(data.get("sent_at")), channel="webform",
                subject=str(data.get("subject") or "").strip(),
                attachments=tuple(_attachment(a) for a in attachments),
                fields={"branch": branch} if branch else {},
            )
        ]

    def fetch_media(self, channel: ChannelConfig, media_ref: str, *, max_bytes: int) -> tuple[bytes, str]:
        content = _read(media_ref)
        if content is None:
            raise DeliveryError(_("The uploaded file is no longer in storage."), retry=False, code="missing")
        if len(content) > max_bytes:
            raise DeliveryError(_("The uploaded file is larger than the limit."), retry=False, code="too_large")
        return content, ""


ADAPTER = WebformAdapter()
