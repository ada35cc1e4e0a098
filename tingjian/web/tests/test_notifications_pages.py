"""The notification pages: the list, acknowledging (in the app and from an email), preferences,
and the administrators' outgoing webhooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tingjian import clock
from tingjian.alerts import links, services
from tingjian.alerts.kinds import CATALOGUE
from tingjian.alerts.models import (
    DeliveryStatus,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookEndpoint,
)

pytestmark = pytest.mark.django_db

ClientFor = Callable[[str], Client]


def alert(user: Any, *, requires_ack: bool = True, case: str = "C-1", urgent: bool = False) -> Notification:
    (note,) = services.notify(
        [user], kind="sla.breach", verb="Case %(case)s missed its deadline", params={"case": case},
        url=f"/cases/{case}/", requires_ack=requires_ack, urgent=urgent,
    )
    return note


def listed(response: Any) -> list[int]:
    return [n.pk for n in response.context["page"].object_list]


# ------------------------------------------------------------------------------ the list


def test_the_list_filters_unread_and_awaiting_acknowledgement(client_for: ClientFor, users: dict[str, Any]) -> None:
    waiting = alert(users["manager"])
    info = alert(users["manager"], requires_ack=False)
    read = alert(users["manager"], requires_ack=False)
    services.mark_read(users["manager"], notification_ids=[read.pk])
    manager = client_for("manager")
    assert listed(manager.get(reverse("web:notifications"))) == [read.pk, info.pk, waiting.pk]
    assert listed(manager.get(reverse("web:notifications"), {"show": "unread"})) == [info.pk, waiting.pk]
    assert listed(manager.get(reverse("web:notifications"), {"show": "awaiting"})) == [waiting.pk]


def test_the_acknowledge_button_shows_only_where_one_is_awaited(client_for: ClientFor, users: dict[str, Any]) -> None:
    waiting = alert(users["manager"])
    info = alert(users["manager"], requires_ack=False)
    page = client_for("manager").get(reverse("web:notifications")).content.decode()
    assert reverse("web:notifications-acknowledge", args=[waiting.pk]) in page
    assert reverse("web:notifications-acknowledge", args=[info.pk]) not in page


def test_the_list_is_paginated_and_keeps_its_filter(client_for: ClientFor, users: dict[str, Any]) -> None:
    for i in range(30):
        alert(users["manager"], case=f"C-{i}")
    manager = client_for("manager")
    first = manager.get(reverse("web:notifications"), {"show": "awaiting"})
    assert len(listed(first)) == 25
    assert "?show=awaiting&amp;page=2" in first.content.decode()
    assert len(listed(manager.get(reverse("web:notifications"), {"show": "awaiting", "page": 2}))) == 5


def test_the_list_costs_the_same_queries_whatever_the_rows(
    client_for: ClientFor, users: dict[str, Any], django_assert_num_queries: Any
) -> None:
    manager = client_for("manager")
    manager.get(reverse("web:notifications"))  # warm the session
    for i in range(30):
        alert(users["manager"], case=f"C-{i}", requires_ack=i % 2 == 0, urgent=i % 5 == 0)
    # Session, user, the user's own and group permissions (the menu), count, the page of rows.
    with django_assert_num_queries(6):
        response = manager.get(reverse("web:notifications"))
    assert len(listed(response)) == 25


def test_the_bell_refreshes_itself_when_an_action_changes_the_count(client_for: ClientFor, users: dict[str, Any]) -> None:
    alert(users["manager"])
    bell = client_for("manager").get(reverse("web:notifications-bell")).content.decode()
    assert 'hx-trigger="notifications-changed from:body"' in bell
    assert f'hx-get="{reverse("web:notifications-bell")}"' in bell


# ------------------------------------------------------------------- acknowledging in the app


def test_acknowledging_in_the_app(client_for: ClientFor, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    response = client_for("manager").post(
        reverse("web:notifications-acknowledge", args=[note.pk]), {"next": reverse("web:notifications")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:notifications")
    note.refresh_from_db()
    assert (note.acknowledged_via, note.read_at is not None) == ("app", True)


def test_acknowledging_with_htmx_answers_the_row_and_tells_the_bell(client_for: ClientFor, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    response = client_for("manager").post(
        reverse("web:notifications-acknowledge", args=[note.pk]), headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    row = response.content.decode()
    assert f'id="notification-{note.pk}"' in row
    assert "Acknowledged at" in row
    assert "<html" not in row


def test_marking_one_read_with_htmx_tells_the_bell(client_for: ClientFor, users: dict[str, Any]) -> None:
    note = alert(users["manager"], requires_ack=False)
    response = client_for("manager").post(
        reverse("web:notifications-read"), {"notification": note.pk}, headers={"HX-Request": "true"},
    )
    assert response["HX-Trigger"] == "notifications-changed"
    assert 'class="read"' in response.content.decode()


def test_nobody_acknowledges_someone_elses_alert(client_for: ClientFor, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    assert client_for("executive").post(reverse("web:notifications-acknowledge", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.acknowledged_at is None


# --------------------------------------------------------------- the acknowledge link of emails


def test_opening_the_link_only_asks_and_changes_nothing(client: Client, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    response = client.get(links.ack_url(note))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Case C-1 missed its deadline" in page
    assert "<form method=\"post\">" in page
    note.refresh_from_db()
    assert note.acknowledged_at is None and note.read_at is None


def test_the_links_button_acknowledges_without_a_login(users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    client = Client(enforce_csrf_checks=True)
    url = links.ack_url(note)
    client.get(url)
    response = client.post(url, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 200
    assert "You acknowledged it" in response.content.decode()
    note.refresh_from_db()
    assert note.acknowledged_via == "email"


def test_a_forged_link_is_refused(client: Client, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    forged = links.ack_url(note)[:-3] + "xx/"
    for response in (client.get(forged), client.post(forged)):
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    note.refresh_from_db()
    assert note.acknowledged_at is None


def test_an_expired_link_sends_to_the_app(client: Client, users: dict[str, Any], settings: Any) -> None:
    note = alert(users["manager"])
    url = links.ack_url(note)
    with time_machine.travel(clock.now() + timedelta(seconds=settings.TINGJIAN_ACK_LINK_MAX_AGE + 60)):
        response = client.post(url)
    assert response.status_code == 410
    assert "This link has expired; acknowledge in the app." in response.content.decode()
    note.refresh_from_db()
    assert note.acknowledged_at is None


def test_a_link_used_twice_says_who_acknowledged_and_when(client: Client, users: dict[str, Any]) -> None:
    users["manager"].first_name, users["manager"].last_name = "Mei", "Lin"
    users["manager"].save()
    note = alert(users["manager"])
    url = links.ack_url(note)
    assert client.post(url).status_code == 200
    note.refresh_from_db()
    first = note.acknowledged_at
    response = client.post(url)
    assert response.status_code == 409
    assert "Already acknowledged by Mei Lin at" in response.content.decode()
    note.refresh_from_db()
    assert note.acknowledged_at == first


# ----------------------------------------------------------------------------- preferences


def test_the_preferences_page_lists_every_kind_with_its_default(client_for: ClientFor) -> None:
    response = client_for("agent").get(reverse("web:notification-preferences"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["email__case.assigned"].value() is True
    assert form["email__sla.recomputed"].value() is False
    assert len(form.email_fields()) == len(CATALOGUE)


def test_saving_preferences(client_for: ClientFor, users: dict[str, Any]) -> None:
    response = client_for("agent").post(reverse("web:notification-preferences"), {
        "email__case.mention": "on", "email__sla.recomputed": "on",
        "quiet_start": "22:00", "quiet_end": "07:00", "time_zone": "Asia/Taipei",
    })
    assert response.status_code == 302
    stored = NotificationPreference.objects.get(user=users["agent"])
    assert stored.wants_email("sla.recomputed") and not stored.wants_email("case.assigned")
    assert (str(stored.quiet_start), str(stored.quiet_end)) == ("22:00:00", "07:00:00")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end", "a start and an end that differ"),
    ({"quiet_start": "22:00"}, "quiet_end", "a start and an end that differ"),
    ({"time_zone": "Asia/Atlantis"}, "time_zone", "is not a time zone"),
])
def test_preferences_that_do_not_hold_are_refused(
    client_for: ClientFor, fields: dict[str, str], field: str, message: str
) -> None:
    response = client_for("agent").post(reverse("web:notification-preferences"), fields)
    assert response.status_code == 422
    assert any(message in error for error in response.context["form"].errors[field])
    assert not NotificationPreference.objects.exists()


# ----------------------------------------------------------------------- webhooks (admins)


def test_webhook_pages_are_for_administrators_only(client_for: ClientFor) -> None:
    manager = client_for("manager")
    for name in ("web:webhook-list", "web:webhook-new", "web:webhook-deliveries"):
        assert manager.get(reverse(name)).status_code == 403
    assert manager.post(reverse("web:webhook-new"), {"name": "x", "url": "https://x.example.com/"}).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_the_menu_links_the_webhooks_for_administrators(client_for: ClientFor) -> None:
    assert reverse("web:webhook-list") in client_for("admin").get(reverse("web:notifications")).content.decode()
    assert reverse("web:webhook-list") not in client_for("manager").get(reverse("web:notifications")).content.decode()


def test_creating_an_endpoint_shows_its_secret_once(client_for: ClientFor) -> None:
    admin = client_for("admin")
    response = admin.post(reverse("web:webhook-new"), {
        "name": "Safety on Slack", "url": "https://hooks.example.com/services/T0/B0/token", "kinds": ["sla.safety"],
    })
    assert response.status_code == 201
    secret = response.context["secret"]
    assert secret in response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.name, endpoint.kinds) == ("Safety on Slack", ["sla.safety"])
    listing = admin.get(reverse("web:webhook-list")).content.decode()
    assert "Safety on Slack" in listing
    assert secret not in listing
    assert "/services/T0/B0/token" not in listing


def test_an_endpoint_must_be_http_or_https(client_for: ClientFor) -> None:
    response = client_for("admin").post(reverse("web:webhook-new"), {"name": "x", "url": "ftp://files.example.com/"})
    assert response.status_code == 422
    assert "url" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_deactivating_and_testing_an_endpoint(client_for: ClientFor, users: dict[str, Any]) -> None:
    endpoint, _ = services.create_webhook(name="relay", url="https://relay.example.com/in", by=users["admin"])
    admin = client_for("admin")
    assert admin.post(reverse("web:webhook-test", args=[endpoint.pk])).status_code == 302
    assert WebhookDelivery.objects.get(endpoint=endpoint).kind == "test"
    assert admin.post(reverse("web:webhook-deactivate", args=[endpoint.pk])).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


def test_the_delivery_log_is_paginated_newest_first_with_retry_for_failed_ones(
    client_for: ClientFor, users: dict[str, Any]
) -> None:
    endpoint, _ = services.create_webhook(name="relay", url="https://relay.example.com/in", by=users["admin"])
    start = clock.now()
    for i in range(27):
        with time_machine.travel(start + timedelta(minutes=i), tick=False):
            services.send_test_event(endpoint, by=users["admin"])
    newest = WebhookDelivery.objects.order_by("-created_at").first()
    assert newest is not None
    WebhookDelivery.objects.filter(pk=newest.pk).update(status=DeliveryStatus.FAILED, last_error="HTTP 500", attempts=5)
    admin = client_for("admin")
    page = admin.get(reverse("web:webhook-deliveries"))
    assert listed(page)[0] == newest.pk
    assert len(listed(page)) == 25
    assert len(listed(admin.get(reverse("web:webhook-deliveries"), {"page": 2}))) == 2
    assert reverse("web:webhook-retry", args=[newest.pk]) in page.content.decode()
    assert listed(admin.get(reverse("web:webhook-deliveries"), {"failed": "1"})) == [newest.pk]
    response = admin.post(reverse("web:webhook-retry", args=[newest.pk]))
    assert response.status_code == 302
    newest.refresh_from_db()
    assert (newest.status, newest.attempts) == (DeliveryStatus.PENDING, 0)
