"""Outgoing webhooks: signed, posted once, retried at 30 s, 2 min, 10 min and 1 h, then failed."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian import clock
from tingjian.alerts import services, webhooks
from tingjian.alerts.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tingjian.audit.models import AuditEvent
from tingjian.channels.tests.fakeplatform import FakePlatform
from tingjian.sealed import unseal

from .conftest import Enqueued

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Taipei"))


@pytest.fixture
def endpoint(users: dict[str, Any], fake_platform: FakePlatform) -> tuple[WebhookEndpoint, str]:
    return services.create_webhook(name="Safety on Slack", url=fake_platform.url + "/hook", by=users["admin"])


def breach(users: dict[str, Any]) -> WebhookDelivery:
    services.notify(
        [users["manager"], users["executive"]], kind="sla.breach", verb="Case %(case)s missed its deadline",
        params={"case": "C-3"}, url="/cases/C-3/", topic="sla.clock:3", urgent=True, requires_ack=True,
    )
    return WebhookDelivery.objects.get()


def test_the_post_is_signed_with_the_endpoints_secret(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform
) -> None:
    fake_platform.route("POST", "/hook", (200, {"ok": True}))
    delivery = breach(users)
    with time_machine.travel(START, tick=False):
        assert webhooks.deliver(delivery.pk) == "delivered"
    (request,) = fake_platform.calls("/hook")
    secret = endpoint[1]
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-tingjian-signature"] == f"sha256={expected}"
    assert request.headers["x-tingjian-event"] == "sla.breach"
    assert request.headers["x-tingjian-delivery"] == str(delivery.pk)
    assert request.headers["x-tingjian-timestamp"] == str(int(START.timestamp()))
    body = json.loads(request.body)
    assert body["id"] == str(delivery.event_id)
    assert (body["kind"], body["topic"], body["urgent"]) == ("sla.breach", "sla.clock:3", True)
    assert body["text"] == "Case C-3 missed its deadline"
    assert body["recipients"] == ["manager", "executive"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.DELIVERED, 1, 200)
    assert delivery.delivered_at == START


def test_the_secret_is_sealed_at_rest_and_the_audit_keeps_only_the_host(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform
) -> None:
    stored, secret = endpoint
    stored.refresh_from_db()
    assert secret not in stored.secret
    assert unseal(stored.secret) == {"secret": secret}
    event = AuditEvent.objects.get(action="alert.webhook_created")
    assert secret not in json.dumps(event.after)
    assert "/hook" not in json.dumps(event.after) + event.summary


def test_a_failing_endpoint_is_retried_on_schedule_then_given_up(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform, enqueued: Enqueued
) -> None:
    fake_platform.route("POST", "/hook", (503, {"error": "busy"}))
    delivery = breach(users)
    now, outcomes, waits = START, [], []
    for _ in range(5):
        with time_machine.travel(now, tick=False):
            outcomes.append(webhooks.deliver(delivery.pk))
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert outcomes == ["will retry"] * 4 + ["failed"]
    assert waits == [timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1)]
    assert len(fake_platform.calls("/hook")) == 5
    assert [run_after for _, run_after in enqueued("deliver_webhook")] == [
        START + timedelta(seconds=30), START + timedelta(seconds=150), START + timedelta(seconds=750),
        START + timedelta(seconds=4350),
    ]
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.FAILED, 5, 503, "HTTP 503",
    )
    assert delivery.next_attempt_at is None


def test_an_unreachable_endpoint_records_the_error_without_its_url(users: dict[str, Any]) -> None:
    services.create_webhook(name="gone", url="http://127.0.0.1:9/secret-token-in-path", by=users["admin"])
    delivery = breach(users)
    assert webhooks.deliver(delivery.pk) == "will retry"
    delivery.refresh_from_db()
    assert delivery.last_error == "ConnectError"
    assert delivery.last_status_code is None


def test_a_delivery_is_posted_once_even_if_its_task_runs_twice(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform
) -> None:
    fake_platform.route("POST", "/hook", (204, b""))
    delivery = breach(users)
    assert webhooks.deliver(delivery.pk) == "delivered"
    assert webhooks.deliver(delivery.pk) == "not pending, or another worker has it"
    assert len(fake_platform.calls("/hook")) == 1


def test_a_delivery_claimed_by_another_worker_is_not_posted(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform
) -> None:
    delivery = breach(users)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=clock.now())
    assert webhooks.deliver(delivery.pk) == "not pending, or another worker has it"
    assert fake_platform.calls("/hook") == []


def test_pending_deliveries_of_a_deactivated_endpoint_fail_unsent(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform
) -> None:
    delivery = breach(users)
    services.deactivate_webhook(endpoint[0], by=users["admin"])
    assert webhooks.deliver(delivery.pk) == "failed"
    assert fake_platform.calls("/hook") == []
    delivery.refresh_from_db()
    assert delivery.last_error == "the endpoint was deactivated"


def test_only_administrators_configure_webhooks(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.create_webhook(name="mine", url="https://relay.example.com/x", by=users["manager"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ["ftp://relay.example.com/x", "javascript:alert(1)", "relay.example.com"])
def test_only_http_and_https_urls_are_accepted(users: dict[str, Any], url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_webhook(name="bad", url=url, by=users["admin"])
    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_a_test_event_goes_to_the_endpoint_whatever_its_kinds(
    users: dict[str, Any], fake_platform: FakePlatform
) -> None:
    fake_platform.route("POST", "/hook", (200, {}))
    endpoint, _ = services.create_webhook(
        name="safety", url=fake_platform.url + "/hook", kinds=["sla.safety"], by=users["admin"],
    )
    delivery = services.send_test_event(endpoint, by=users["admin"])
    assert webhooks.deliver(delivery.pk) == "delivered"
    (request,) = fake_platform.calls("/hook")
    assert request.json()["kind"] == "test"
    assert request.headers["x-tingjian-event"] == "test"


def test_retry_now_sends_a_failed_delivery_again(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], fake_platform: FakePlatform, enqueued: Enqueued,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = breach(users)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=5)
    delivery.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_webhook_delivery(delivery, by=users["admin"])
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    assert enqueued("deliver_webhook") == [(delivery.pk, None)]
    fake_platform.route("POST", "/hook", (200, {}))
    assert webhooks.deliver(delivery.pk) == "delivered"


def test_only_a_failed_delivery_can_be_retried(users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str]) -> None:
    delivery = breach(users)
    with pytest.raises(ValidationError):
        services.retry_webhook_delivery(delivery, by=users["admin"])


def test_the_sweep_enqueues_deliveries_whose_task_was_lost(
    users: dict[str, Any], endpoint: tuple[WebhookEndpoint, str], enqueued: Enqueued
) -> None:
    with time_machine.travel(START, tick=False):
        delivery = breach(users)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        services.periodic_work()
    assert enqueued("deliver_webhook") == []
    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        services.periodic_work()
    assert enqueued("deliver_webhook") == [(delivery.pk, None)]
