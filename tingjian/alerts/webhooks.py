"""Sending one webhook delivery: the body of the ``deliver_webhook`` task.

Responsible for: signing the stored payload with the endpoint's secret (HMAC-SHA256 of the
raw body, so the receiver can check it came from us and was not altered), posting it, and
recording the outcome with retries at 30 s, 2 min, 10 min and 1 h before it is given up.
Must never: post one delivery twice from two workers (it is claimed first), follow a
redirect, or keep or log the endpoint's URL, secret or answer (chat relays put tokens in
the URL; a failure is recorded as a status code or an error class).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db.models import Q

from tingjian import clock
from tingjian.sealed import SecretsUnreadable, unseal

from . import tasks
from .models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

RETRY_WAITS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))
CLAIM_TIMEOUT = timedelta(minutes=5)
USER_AGENT = "Tingjian-Webhooks/1"


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(delivery_id: int) -> str:
    """Post one pending delivery; safe to call twice (the second finds it claimed or done)."""
    now = clock.now()
    claimed = WebhookDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=delivery_id, status=DeliveryStatus.PENDING,
    ).update(claimed_at=now)
    if not claimed:
        return "not pending, or another worker has it"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return _failed(delivery, "the endpoint was deactivated", retry=False)
    try:
        secret = str(unseal(endpoint.secret).get("secret", ""))
    except SecretsUnreadable:
        return _failed(delivery, "the signing secret cannot be decrypted with the configured keys", retry=False)
    body = body_of(delivery.payload)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Tingjian-Event": delivery.kind,
        "X-Tingjian-Delivery": str(delivery.pk),
        "X-Tingjian-Timestamp": str(int(now.timestamp())),
        "X-Tingjian-Signature": signature(body, secret),
    }
    try:
        response = httpx.post(
            endpoint.url, content=body, headers=headers,
            timeout=settings.TINGJIAN_OUTBOUND_TIMEOUT, follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return _failed(delivery, type(exc).__name__, retry=True)
    if 200 <= response.status_code < 300:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED, delivered_at=clock.now(), attempts=delivery.attempts + 1,
            last_status_code=response.status_code, last_error="", next_attempt_at=None, claimed_at=None,
        )
        return "delivered"
    return _failed(delivery, f"HTTP {response.status_code}", retry=True, status_code=response.status_code)


def _failed(delivery: WebhookDelivery, problem: str, *, retry: bool, status_code: int | None = None) -> str:
    attempts = delivery.attempts + 1
    fields: dict[str, Any] = {
        "attempts": attempts, "last_error": problem[:200], "claimed_at": None,
        "last_status_code": status_code,
    }
    if retry and attempts <= len(RETRY_WAITS):
        due = clock.now() + RETRY_WAITS[attempts - 1]
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=due, **fields)
        tasks.enqueue_webhook(delivery.pk, run_after=due)
        return "will retry"
    logger.warning("webhook delivery %s failed for good after %s attempt(s): %s", delivery.pk, attempts, problem)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None, **fields)
    return "failed"
