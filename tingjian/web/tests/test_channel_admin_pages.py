"""The administrators' channel pages: channels and their health, the channel form (secrets
never shown again), the dead-letter list with Requeue, an event's payload, the quarantine."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tingjian import clock
from tingjian import sealed as secrets
from tingjian.audit.models import AuditEvent
from tingjian.channels import services
from tingjian.channels.adapters.base import Accepted, IncomingEvent
from tingjian.channels.models import Channel, EventStatus, InboundEvent
from tingjian.channels.selectors import EventCounts, event_counts, readable_body, start_of_today

pytestmark = pytest.mark.django_db
SECRET = "s3cret-line-channel-secret"
TOKEN = "line-access-token-value-123"
LINE_VALUES = {"channel_secret": SECRET, "channel_access_token": TOKEN}
# Session, user, the user's two permission lookups — then the page's own queries.
AUTH_QUERIES = 4
LIST_QUERIES = AUTH_QUERIES + 3  # channels, event counts, quarantine count
EVENTS_QUERIES = AUTH_QUERIES + 3  # channels (filter), count, one page of events


def line_channel(name: str = "tpe-oa", **fields: Any) -> Channel:
    return services.create_channel(kind="line", name=name, display_name=fields.pop("display_name", "好食光 LINE"),
                                   values=LINE_VALUES, by=None, **fields)


def receive(channel: Channel, external_id: str, payload: bytes = b'{"text": "\xe6\xb9\xaf\xe6\x98\xaf\xe5\x86\xb7\xe7\x9a\x84"}', *, status: str = "") -> InboundEvent:
    (event, _created), = services.receive(channel, Accepted(events=[IncomingEvent(external_id=external_id, payload=payload)]))
    if status:
        InboundEvent.objects.filter(pk=event.pk).update(status=status, attempts=5, last_error="LINE profile API: 500 Internal Server Error\nTraceback …")
        event.refresh_from_db()
    return event


def all_pages(event: InboundEvent | None = None, channel: Channel | None = None, quarantined: int | None = None) -> list[str]:
    urls = [reverse("web:channel-list"), reverse("web:channel-new"), reverse("web:channel-new") + "?kind=line",
            reverse("web:channel-events"), reverse("web:channel-quarantine")]
    if event is not None:
        urls.append(reverse("web:channel-event", args=[event.pk]))
    if channel is not None:
        urls.append(reverse("web:channel-edit", args=[channel.pk]))
    if quarantined is not None:
        urls.append(reverse("web:channel-quarantined", args=[quarantined]))
    return urls


@pytest.mark.parametrize("role", ["agent", "manager", "qa", "executive"])
def test_only_administrators_may_open_the_channel_pages(client_for: Callable[[str], Client], role: str) -> None:
    channel = line_channel()
    event = receive(channel, "e1", status=EventStatus.DEAD)
    item = services.quarantine(channel, b"<xml", reason="broken XML")
    client = client_for(role)
    for url in all_pages(event, channel, item.pk):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("web:channel-event-requeue", args=[event.pk])).status_code == 403
    assert client.post(reverse("web:channel-new") + "?kind=line", {"name": "x", **{f"secret__{k}": v for k, v in LINE_VALUES.items()}}).status_code == 403
    assert client.post(reverse("web:channel-edit", args=[channel.pk]), {"display_name": "taken over"}).status_code == 403
    event.refresh_from_db()
    assert event.status == EventStatus.DEAD and Channel.objects.get().display_name == "好食光 LINE"
    assert 'href="/channels/"' not in client.get(reverse("web:case-list")).content.decode()


def test_the_administrator_sees_every_channel_page_and_the_nav_link(client_for: Callable[[str], Client]) -> None:
    channel = line_channel()
    event = receive(channel, "e1")
    item = services.quarantine(channel, b"<xml", reason="broken XML")
    admin = client_for("admin")
    for url in all_pages(event, channel, item.pk):
        response = admin.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "<script>" not in page and " style=" not in page and "<style" not in page, url
    assert 'href="/channels/"' in admin.get(reverse("web:case-list")).content.decode()


def test_an_administrator_creates_a_line_channel_through_the_form(client_for: Callable[[str], Client], settings: Any, company: dict[str, Any]) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://cs.example.com"
    admin = client_for("admin")
    form = admin.get(reverse("web:channel-new") + "?kind=line").content.decode()
    assert 'name="secret__channel_secret"' in form and 'type="password"' in form and 'name="setting__auto_reply"' in form
    response = admin.post(reverse("web:channel-new") + "?kind=line", {
        "name": "tpe-oa", "display_name": "好食光 LINE", "sandbox": "on", "branch": company["branch"].pk,
        "secret__channel_secret": SECRET, "secret__channel_access_token": TOKEN, "setting__auto_reply": "on",
    }, follow=True)
    channel = Channel.objects.get()
    assert response.redirect_chain[-1][0] == reverse("web:channel-edit", args=[channel.pk])
    page = response.content.decode()
    assert "https://cs.example.com/hooks/line/tpe-oa/" in page and "created" in page
    assert channel.sandbox and channel.branch == company["branch"] and channel.config["auto_reply"] is True
    assert secrets.unseal(channel.secrets_encrypted) == LINE_VALUES
    assert SECRET not in channel.secrets_encrypted and SECRET not in json.dumps(channel.config)
    assert SECRET not in page and TOKEN not in page
    assert page.count("set ✓ — leave empty to keep") == 2
    assert SECRET not in str(list(AuditEvent.objects.values_list("before", "after", "summary")))


def test_a_secret_left_empty_on_edit_is_kept_and_one_typed_replaces_it(client_for: Callable[[str], Client]) -> None:
    channel = line_channel()
    admin = client_for("admin")
    response = admin.post(reverse("web:channel-edit", args=[channel.pk]), {
        "display_name": "好食光 LINE 官方帳號", "is_active": "on",
        "secret__channel_secret": "", "secret__channel_access_token": "new-token",
    })
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.display_name == "好食光 LINE 官方帳號" and channel.is_active and not channel.sandbox
    assert secrets.unseal(channel.secrets_encrypted) == {"channel_secret": SECRET, "channel_access_token": "new-token"}
    page = admin.get(reverse("web:channel-edit", args=[channel.pk])).content.decode()
    assert SECRET not in page and "new-token" not in page


def test_an_email_channels_plain_settings_are_filled_back_and_an_emptied_one_is_removed(client_for: Callable[[str], Client]) -> None:
    channel = services.create_channel(kind="email", name="service", by=None, values={
        "address": "service@example.com", "imap_host": "imap.example.com", "imap_user": "service",
        "imap_password": "imap-pw-secret", "smtp_host": "smtp.example.com", "imap_folder": "Complaints", "imap_ssl": "true",
    })
    admin = client_for("admin")
    page = admin.get(reverse("web:channel-edit", args=[channel.pk])).content.decode()
    assert 'value="imap.example.com"' in page and "imap-pw-secret" not in page
    assert "not set" in page  # smtp_password
    response = admin.post(reverse("web:channel-edit", args=[channel.pk]), {
        "display_name": channel.display_name, "is_active": "on",
        "setting__address": "service@example.com", "setting__imap_host": "imap.example.com", "setting__imap_user": "service",
        "setting__smtp_host": "smtp.example.com", "setting__imap_folder": "",  # emptied
        # imap_ssl unticked
    })
    assert response.status_code == 302
    channel.refresh_from_db()
    assert "imap_folder" not in channel.config and channel.config["imap_ssl"] is False
    assert secrets.unseal(channel.secrets_encrypted) == {"imap_password": "imap-pw-secret"}


def test_a_missing_required_secret_is_shown_and_nothing_is_created(client_for: Callable[[str], Client]) -> None:
    response = client_for("admin").post(reverse("web:channel-new") + "?kind=line", {
        "name": "tpe-oa", "secret__channel_secret": SECRET,
    })
    assert response.status_code == 422
    page = response.content.decode()
    assert "Nothing was saved" in page and "This field is required." in page and SECRET not in page
    assert not Channel.objects.exists()


def test_the_services_refusal_appears_beside_the_form_and_nothing_is_created(client_for: Callable[[str], Client]) -> None:
    line_channel("tpe-oa")
    response = client_for("admin").post(reverse("web:channel-new") + "?kind=line", {
        "name": "tpe-oa", "secret__channel_secret": SECRET, "secret__channel_access_token": TOKEN,
    })
    assert response.status_code == 422
    assert "already exists" in response.content.decode() or "exists already" in response.content.decode()
    assert Channel.objects.count() == 1


def test_an_unknown_kind_is_refused_and_the_known_ones_offered(client_for: Callable[[str], Client]) -> None:
    admin = client_for("admin")
    response = admin.post(reverse("web:channel-new") + "?kind=telegram", {"name": "tg"})
    assert response.status_code == 404 and "telegram" in response.content.decode()
    assert "?kind=line" in response.content.decode()
    assert not Channel.objects.exists()


def test_the_channel_list_shows_each_channels_health(client_for: Callable[[str], Client], settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://cs.example.com"
    line = line_channel()
    receive(line, "ok-1")
    receive(line, "dead-1", status=EventStatus.DEAD)
    receive(line, "retry-1", status=EventStatus.RETRYING)
    services.count_rejection(line)
    mailbox = services.create_channel(kind="email", name="service", by=None, values={
        "address": "service@example.com", "imap_host": "imap.example.com", "imap_user": "u", "imap_password": "p", "smtp_host": "smtp.example.com",
    })
    services.note_problem(mailbox, "The mailbox imap.example.com cannot be reached: connection refused.")
    page = client_for("admin").get(reverse("web:channel-list")).content.decode()
    assert "https://cs.example.com/hooks/line/tpe-oa/" in page
    assert "/hooks/email/" not in page  # a polled mailbox has no webhook
    assert "cannot be reached: connection refused" in page
    assert f"status=dead&amp;channel={line.pk}" in page and f"status=retrying&amp;channel={line.pk}" in page


def test_the_channel_list_takes_a_fixed_number_of_queries(client_for: Callable[[str], Client], django_assert_num_queries: Any) -> None:
    admin = client_for("admin")
    first = line_channel("one")
    receive(first, "a", status=EventStatus.DEAD)
    admin.get(reverse("web:channel-list"))  # warm the session
    with django_assert_num_queries(LIST_QUERIES):
        admin.get(reverse("web:channel-list"))
    for n in range(4):
        channel = line_channel(f"more-{n}", display_name=f"分店 {n}")
        receive(channel, f"ok-{n}")
        receive(channel, f"dead-{n}", status=EventStatus.DEAD)
    services.create_channel(kind="api", name="crm", by=None)
    with django_assert_num_queries(LIST_QUERIES):
        page = admin.get(reverse("web:channel-list")).content.decode()
    assert "分店 3" in page and "/hooks/line/more-3/" in page


def test_the_dead_letter_list_shows_a_dead_event_and_requeue_resets_it(client_for: Callable[[str], Client]) -> None:
    channel = line_channel()
    dead = receive(channel, "dead-event-1", status=EventStatus.DEAD)
    receive(channel, "filed-event-1", status=EventStatus.FILED)
    admin = client_for("admin")
    page = admin.get(reverse("web:channel-events")).content.decode()
    assert "dead-event-1" in page and "filed-event-1" not in page  # the default: what needs attention
    assert "Requeue" in page and "500 Internal Server Error" in page
    back = reverse("web:channel-events") + f"?status=dead&channel={channel.pk}"
    response = admin.post(reverse("web:channel-event-requeue", args=[dead.pk]), {"next": back}, follow=True)
    assert response.redirect_chain[0][0] == back
    assert "queued again" in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == EventStatus.RECEIVED and dead.attempts == 0 and dead.next_attempt_at is None
    assert AuditEvent.objects.filter(action="channel.event_requeued").exists()


def test_a_filed_event_cannot_be_requeued_and_the_page_says_why(client_for: Callable[[str], Client]) -> None:
    filed = receive(line_channel(), "filed-1", status=EventStatus.FILED)
    response = client_for("admin").post(reverse("web:channel-event-requeue", args=[filed.pk]), {"next": "https://evil.example.com/"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("web:channel-events")
    assert "Only a failed or waiting event can be requeued." in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == EventStatus.FILED


def test_the_event_list_filters_by_status_and_channel(client_for: Callable[[str], Client]) -> None:
    one, two = line_channel("one"), line_channel("two")
    receive(one, "one-filed", status=EventStatus.FILED)
    receive(two, "two-filed", status=EventStatus.FILED)
    receive(two, "two-ignored", status=EventStatus.IGNORED)
    admin = client_for("admin")
    page = admin.get(reverse("web:channel-events"), {"status": "filed", "channel": two.pk}).content.decode()
    assert "two-filed" in page and "one-filed" not in page and "two-ignored" not in page
    page = admin.get(reverse("web:channel-events"), {"status": "nonsense", "channel": "x"}).content.decode()
    assert "No failed events" in page  # not understood: the default list, never a 500


def test_the_event_list_is_paginated_newest_first_in_a_fixed_number_of_queries(client_for: Callable[[str], Client], django_assert_num_queries: Any) -> None:
    admin = client_for("admin")
    channels = [line_channel(f"oa-{n}") for n in range(3)]
    for n in range(30):
        event = receive(channels[n % 3], f"evt-{n:02d}", status=EventStatus.DEAD)
        InboundEvent.objects.filter(pk=event.pk).update(received_at=clock.now() - timedelta(minutes=60 - n))
    admin.get(reverse("web:channel-events"))  # warm the session
    with django_assert_num_queries(EVENTS_QUERIES):
        page = admin.get(reverse("web:channel-events")).content.decode()
    assert page.count("Requeue</button>") == 25
    assert page.index("evt-29") < page.index("evt-28") and "evt-04" not in page
    with django_assert_num_queries(EVENTS_QUERIES):
        page = admin.get(reverse("web:channel-events"), {"page": 2}).content.decode()
    assert "evt-04" in page and "evt-00" in page and "evt-29" not in page


def test_the_event_page_shows_the_payload_to_an_administrator_only(client_for: Callable[[str], Client], open_case: Any) -> None:
    event = receive(line_channel(), "msg-1", payload='{"events":[{"message":{"text":"湯是冷的，麵也糊了"}}]}'.encode(), status=EventStatus.DEAD)
    case = open_case()
    InboundEvent.objects.filter(pk=event.pk).update(case=case)
    url = reverse("web:channel-event", args=[event.pk])
    assert client_for("manager").get(url).status_code == 403
    response = client_for("admin").get(url)
    page = response.content.decode()
    assert "湯是冷的，麵也糊了" in page and "&quot;events&quot;: [" in page  # decoded and re-indented
    assert "Traceback …" in page and reverse("web:case-detail", args=[case.number]) in page
    assert "Requeue" in page and "no-store" in response["Cache-Control"]
    from tingjian.audit.models import AuditEvent

    read = AuditEvent.objects.get(action="channel.payload_read")
    assert read.actor_label == "admin" and read.after == {"event": event.pk}  # who saw the customer's words


def test_a_payload_is_shown_as_text_and_cut_at_twenty_kilobytes() -> None:
    shown = readable_body(b"\xff\xfeplain <b>text</b>")
    assert shown.text == "\ufffd\ufffdplain <b>text</b>" and not shown.cut and not shown.pretty
    big = readable_body(json.dumps({"text": "湯" * 20000}, ensure_ascii=False).encode())
    assert big.cut and big.pretty and len(big.text.encode()) <= 20 * 1024 and "\ufffd" not in big.text
    assert readable_body(b"{not json").text == "{not json"


def test_the_quarantine_lists_unreadable_requests_and_shows_their_body(client_for: Callable[[str], Client]) -> None:
    channel = line_channel()
    item = services.quarantine(channel, b"<xml><broken", reason="XML could not be parsed", content_type="text/xml")
    admin = client_for("admin")
    page = admin.get(reverse("web:channel-quarantine")).content.decode()
    assert "XML could not be parsed" in page and "text/xml" in page and "<broken" not in page
    page = admin.get(reverse("web:channel-quarantined", args=[item.pk])).content.decode()
    assert "&lt;xml&gt;&lt;broken" in page  # shown as text, escaped, never interpreted


def test_events_today_count_from_local_midnight_and_failures_whenever_they_came() -> None:
    channel = line_channel()
    receive(channel, "today")
    old_dead = receive(channel, "old-dead", status=EventStatus.DEAD)
    old_filed = receive(channel, "old-filed", status=EventStatus.FILED)
    InboundEvent.objects.filter(pk__in=[old_dead.pk, old_filed.pk]).update(received_at=start_of_today() - timedelta(minutes=1))
    assert event_counts()[channel.pk] == EventCounts(today=1, waiting=1, retrying=0, dead=1)


def test_the_quarantine_list_takes_a_fixed_number_of_queries(client_for: Callable[[str], Client], django_assert_num_queries: Any) -> None:
    admin = client_for("admin")
    channels = [line_channel(f"oa-{n}") for n in range(3)]
    services.quarantine(None, b"?", reason="unreadable")
    admin.get(reverse("web:channel-quarantine"))  # warm the session
    with django_assert_num_queries(AUTH_QUERIES + 2):  # count, one page
        admin.get(reverse("web:channel-quarantine"))
    for n in range(6):
        services.quarantine(channels[n % 3], b"{" * 100, reason=f"broken JSON {n}", content_type="application/json")
    with django_assert_num_queries(AUTH_QUERIES + 2):
        page = admin.get(reverse("web:channel-quarantine")).content.decode()
    assert "broken JSON 5" in page and "{{{{" not in page
