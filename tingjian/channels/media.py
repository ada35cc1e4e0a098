"""Fetching attachments that arrived as platform references (a LINE image id, a WeChat MediaId)."""

from __future__ import annotations

import logging

from tingjian.cases import services as case_services
from tingjian.cases.models import Attachment

from .adapters import get_adapter
from .adapters.base import DeliveryError
from .models import Channel
from .services import channel_config

logger = logging.getLogger(__name__)


def fetch(attachment_id: int, channel_id: int, *, max_bytes: int) -> str:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    channel = Channel.objects.filter(pk=channel_id).first()
    if attachment is None or channel is None:
        return "gone"
    if attachment.file or not attachment.media_ref:
        return "already fetched"
    try:
        content, content_type = get_adapter(channel.kind).fetch_media(
            channel_config(channel), attachment.media_ref, max_bytes=max_bytes
        )
    except DeliveryError as exc:
        # Kept as a note on the attachment: the message itself is filed either way.
        Attachment.objects.filter(pk=attachment_id).update(note=exc.message[:300])
        return "not fetched"
    case_services.store_attachment_content(attachment, content=content, content_type=content_type)
    return "fetched"
