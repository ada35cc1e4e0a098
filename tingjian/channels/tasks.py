"""Background work of the channels app (django.tasks): thin, by id, idempotent."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from . import outbound, pipeline


@task(priority=50)
def ingest_event(event_id: int) -> str:
    return pipeline.ingest(event_id)


@task(priority=40)
def deliver_reply(delivery_id: int) -> str:
    return outbound.deliver(delivery_id)


@task(priority=10)
def fetch_attachment(attachment_id: int, channel_id: int) -> str:
    from .media import fetch

    return fetch(attachment_id, channel_id, max_bytes=settings.TINGJIAN_ATTACHMENT_MAX_BYTES)


@task(priority=20)
def poll_mailbox(channel_id: int) -> str:
    from .polling import poll

    return poll(channel_id)


@task(priority=30)
def check_call_import(import_id: int) -> str:
    from .calls import perform_check

    return perform_check(import_id)


@task(priority=30)
def run_call_import(import_id: int) -> str:
    from .calls import perform_run

    return perform_run(import_id)
