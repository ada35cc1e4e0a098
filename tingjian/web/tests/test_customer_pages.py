"""The customer across channels in the UI: panel, page, merge and undo, replies, files."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from tingjian.cases import services as case_services
from tingjian.cases.models import Attachment, DeliveryStatus
from tingjian.channels import outbound, pipeline, services
from tingjian.channels.models import OutboundDelivery
from tingjian.customers import services as customer_services
from tingjian.customers.models import Customer, MatchSuggestion

pytestmark = pytest.mark.django_db


def intake(by: Any, key: str, **customer: str) -> Any:
    document = {"customer": {"name": customer.pop("name", "林小姐"), **customer, "identities": []}, "body": customer.pop("body", "湯是冷的"),
                "subject": "", "channel": "api", "sent_at": None, "fields": {}}
    event, _ = services.submit_intake(services.api_channel(), key=key, document=document, by=by)
    pipeline.ingest(event.pk)
    event.refresh_from_db()
    return event.case


def test_the_case_page_offers_the_customers_channels_and_queues_an_email_reply(client_for: Any, users: dict[str, Any]) -> None:
    services.create_channel(kind="email", name="service", by=None, sandbox=True,
                            values={"address": "service@example.com", "imap_host": "127.0.0.1", "imap_user": "u",
                                    "imap_password": "p", "smtp_host": "127.0.0.1"})
    case = intake(users["agent"], "a", email="lin@example.com")
    client = client_for("agent")
    page = client.get(reverse("web:case-detail", args=[case.number])).content.decode()
    assert "lin@example.com" in page and "Record only" in page
    target = next(t for t in outbound.reply_targets(case) if t.key.startswith("email:"))
    response = client.post(reverse("web:case-reply", args=[case.number]), {"target": target.key, "body": "您好，已處理"})
    assert response.status_code == 302
    message = case.messages.get(direction="out")
    assert message.channel == "email" and message.delivery_status == DeliveryStatus.QUEUED
    assert outbound.deliver(OutboundDelivery.objects.get().pk) == "sent (sandbox)"


def test_a_failed_reply_shows_the_problem_and_can_be_sent_again(client_for: Any, users: dict[str, Any], open_case: Any) -> None:
    case = open_case()
    message = case_services.record_reply(case, body="您好", by=users["agent"], channel="line", delivery_status=DeliveryStatus.QUEUED)
    case_services.set_delivery_status(message, status=DeliveryStatus.FAILED, error="LINE refused the message: the customer blocked the account.")
    page = client_for("agent").get(reverse("web:case-detail", args=[case.number])).content.decode()
    assert "the customer blocked the account" in page and "Send again" in page


def test_a_record_only_reply_is_recorded_not_sent(client_for: Any, open_case: Any) -> None:
    case = open_case()
    response = client_for("agent").post(reverse("web:case-reply", args=[case.number]), {"target": "record", "body": "電話中已說明"})
    assert response.status_code == 302
    message = case.messages.get(direction="out")
    assert message.delivery_status == DeliveryStatus.RECORDED and not OutboundDelivery.objects.exists()


def test_an_unknown_reply_target_is_refused_and_nothing_is_recorded(client_for: Any, open_case: Any) -> None:
    case = open_case()
    response = client_for("agent").post(reverse("web:case-reply", args=[case.number]), {"target": "contact:999", "body": "x"})
    assert response.status_code == 422 and not case.messages.filter(direction="out").exists()


def test_a_suggested_match_is_shown_and_merged_with_a_reason_then_undone(client_for: Any, users: dict[str, Any]) -> None:
    mine = intake(users["agent"], "a", phone="0911 555 666", body="我先生 0933-222-111 昨天也打過")
    theirs = intake(users["agent"], "b", phone="0933 222 111", name="王先生")
    assert MatchSuggestion.objects.filter(status="open").exists()
    client = client_for("agent")
    page = client.get(reverse("web:case-detail", args=[mine.number])).content.decode()
    assert "Maybe the same person" in page and "王先生" in page
    a, b = mine.customer, theirs.customer
    refused = client.post(reverse("web:customer-merge", args=[a.pk, b.pk]), {"why": "same"})
    assert refused.status_code == 422 and Customer.objects.get(pk=b.pk).merged_into is None
    done = client.post(reverse("web:customer-merge", args=[a.pk, b.pk]), {"why": "Same household, she confirmed by phone"})
    assert done.status_code == 302 and Customer.objects.get(pk=b.pk).merged_into_id == a.pk
    detail = client.get(reverse("web:customer-detail", args=[a.pk])).content.decode()
    assert "Undo this merge" in detail and theirs.number in detail
    merge = a.merges_kept.get()
    client.post(reverse("web:merge-undo", args=[merge.pk]), {"why": "Different people after all"})
    theirs.refresh_from_db()
    assert theirs.customer_id == b.pk and Customer.objects.get(pk=b.pk).merged_into is None


def test_an_old_link_to_a_merged_customer_leads_to_the_survivor(client_for: Any, users: dict[str, Any]) -> None:
    from tingjian.cases.merging import merge_customers

    a = customer_services.create_customer(display_name="A", by=None, identities=[("phone", "0911000001")])
    b = customer_services.create_customer(display_name="B", by=None, identities=[("phone", "0911000002")])
    merge_customers(a, b, by=users["agent"], why="Same person, checked")
    response = client_for("agent").get(reverse("web:customer-detail", args=[b.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:customer-detail", args=[a.pk])


def test_dismissing_a_suggestion_stops_it_coming_back(client_for: Any, users: dict[str, Any]) -> None:
    a = customer_services.create_customer(display_name="A", by=None)
    b = customer_services.create_customer(display_name="B", by=None)
    suggestion = customer_services.suggest_match(a, b, reason="same_name_branch")
    assert suggestion is not None
    client_for("agent").post(reverse("web:suggestion-dismiss", args=[suggestion.pk]))
    assert customer_services.suggest_match(a, b, reason="phone_in_text") is None


def test_the_customer_page_lists_messages_across_channels_in_few_queries(client_for: Any, users: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    case = intake(users["agent"], "a", phone="0911 555 666")
    for n in range(5):
        case_services.record_customer_message(case, body=f"第{n}則", by=None, channel=["line", "email", "phone"][n % 3])
    client = client_for("agent")
    with django_assert_max_num_queries(25):
        page = client.get(reverse("web:customer-detail", args=[case.customer_id])).content.decode()
    assert "第4則" in page and "LINE" in page and "Email" in page
    # The case sits in the shared intake queue (no department yet): still listed as theirs.
    assert case.number in page.split("How to reach them")[1]


def test_a_customer_page_shows_only_cases_the_agent_may_see(client_for: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = intake(users["agent"], "a", phone="0911 555 666", body="只有物流能看")
    case_services.update_case(case, by=users["manager"], fields={"department": company["logistics"]})
    page = client_for("agent").get(reverse("web:customer-detail", args=[case.customer_id])).content.decode()
    assert case.number not in page and "只有物流能看" not in page


def test_attachments_are_served_only_to_who_may_see_the_case(client_for: Any, users: dict[str, Any], company: dict[str, Any], open_case: Any) -> None:
    case = open_case(department=company["cs"])
    attachment = Attachment(message=case.messages.get(), kind="image", filename="頭髮.jpg", content_type="image/jpeg")
    attachment.sha256 = "a" * 64
    attachment.file.save(attachment.sha256, ContentFile(b"\xff\xd8\xff\xe0fake-jpeg"), save=True)
    url = reverse("web:attachment", args=[attachment.pk])
    seen = client_for("agent").get(url)
    assert seen.status_code == 200 and b"".join(seen.streaming_content).startswith(b"\xff\xd8")
    assert seen["X-Content-Type-Options"] == "nosniff"
    assert client_for("agent2").get(url).status_code == 404


def test_the_customer_page_is_refused_to_roles_without_customer_access(client: Client, users: dict[str, Any]) -> None:
    customer = customer_services.create_customer(display_name="A", by=None)
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create_user("nobody", password="pw-for-tests-1")
    client.force_login(nobody)
    assert client.get(reverse("web:customer-detail", args=[customer.pk])).status_code == 403


def test_an_agent_finds_any_other_customer_to_merge_by_phone(client_for: Any) -> None:
    a = customer_services.create_customer(display_name="林小姐", by=None, identities=[("email", "lin@example.com")])
    b = customer_services.create_customer(display_name="Lin Mei", by=None, identities=[("phone", "0988 123 456")])
    page = client_for("agent").get(reverse("web:customer-detail", args=[a.pk]), {"find": "0988123456"}).content.decode()
    assert reverse("web:customer-merge", args=[a.pk, b.pk]) in page
    executive = client_for("executive").get(reverse("web:customer-detail", args=[a.pk]), {"find": "0988"}).content.decode()
    assert reverse("web:customer-merge", args=[a.pk, b.pk]) not in executive
