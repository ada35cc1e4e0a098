"""The intake pipeline: stored once, filed once, threaded right, retried, dead-lettered, requeued."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine

from tingjian import clock
from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case, LinkKind, Message, Stage
from tingjian.cases.workflow import transition
from tingjian.channels import pipeline, services
from tingjian.channels.models import EventStatus, InboundEvent
from tingjian.customers.models import Customer, Identity, MatchSuggestion

pytestmark = pytest.mark.django_db

NOW = "2026-11-23T10:00:00+08:00"


def submit(by: Any, key: str, *, body: str = "便當裡有頭髮，很噁心", phone: str = "0912-000-111", **extra: Any) -> InboundEvent:
    document = {"customer": {"name": extra.pop("name", "林小姐"), "phone": phone, "email": extra.pop("email", ""), "identities": []},
                "body": body, "subject": "", "channel": extra.pop("channel", "api"), "sent_at": None, "fields": extra.pop("fields", {})}
    event, _created = services.submit_intake(services.api_channel(), key=key, document=document, by=by)
    return event


def filed(event: InboundEvent) -> InboundEvent:
    pipeline.ingest(event.pk)
    event.refresh_from_db()
    return event


def test_an_intake_request_becomes_a_case_for_the_customer(users: dict[str, Any]) -> None:
    event = filed(submit(users["agent"], "crm-1", fields={"severity": "S3"}))
    assert event.status == EventStatus.FILED
    case = event.case
    assert case is not None and case.stage == Stage.INTAKE and case.severity == 3
    assert case.customer.display_name == "林小姐"
    assert case.customer.identities.get(kind="phone").external_id == "+886912000111"
    assert case.messages.get().body == "便當裡有頭髮，很噁心"


def test_running_ingest_twice_changes_nothing_the_second_time(users: dict[str, Any]) -> None:
    event = filed(submit(users["agent"], "crm-2"))
    before = (Case.objects.count(), Message.objects.count(), AuditEvent.objects.count())
    assert pipeline.ingest(event.pk) == "already filed"
    assert (Case.objects.count(), Message.objects.count(), AuditEvent.objects.count()) == before


def test_the_same_idempotency_key_is_stored_once(users: dict[str, Any]) -> None:
    first = submit(users["agent"], "crm-3")
    again = submit(users["agent"], "crm-3")
    assert first.pk == again.pk and InboundEvent.objects.count() == 1


def test_a_reused_idempotency_key_with_another_body_is_refused(users: dict[str, Any]) -> None:
    submit(users["agent"], "crm-4")
    with pytest.raises(services.IdempotencyConflict):
        submit(users["agent"], "crm-4", body="another complaint")
    assert InboundEvent.objects.count() == 1


def test_a_second_message_on_another_channel_joins_the_open_case(users: dict[str, Any]) -> None:
    first = filed(submit(users["agent"], "a", phone="0912 000 111"))
    second = filed(submit(users["agent"], "b", phone="+886912000111", body="還沒有人回覆我", channel="phone"))
    assert second.case == first.case
    assert second.outcome.startswith("threaded")
    assert Customer.objects.count() == 1 and first.case.messages.count() == 2


def _close(case: Case, users: dict[str, Any], company: dict[str, Any]) -> Case:
    transition(case, Stage.CLOSED, by=users["manager"], via="close_spam", reason="Spam for the test, closing now")
    return Case.objects.get(pk=case.pk)


def test_a_message_within_the_reopen_window_reopens_the_case_as_a_recurrence(users: dict[str, Any], company: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        case = _close(filed(submit(users["agent"], "a")).case, users, company)
    with time_machine.travel(clock.now() + timedelta(days=10), tick=False):
        again = filed(submit(users["agent"], "b", body="又發生一次"))
    case.refresh_from_db()
    assert again.case == case and again.outcome.startswith("reopened")
    assert case.stage == Stage.INVESTIGATION and case.reopen_count == 1
    reopen = AuditEvent.objects.filter(action="case.transition", object_id=str(case.pk)).last()
    assert reopen is not None and reopen.actor_label == "tingjian" and "wrote again" in reopen.reason


def test_a_message_after_the_reopen_window_opens_a_new_case_linked_to_the_old(users: dict[str, Any], company: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        old = _close(filed(submit(users["agent"], "a")).case, users, company)
    with time_machine.travel(clock.now() + timedelta(days=45), tick=False):
        new = filed(submit(users["agent"], "b", body="新的問題")).case
    assert new is not None and new != old and new.stage == Stage.INTAKE
    assert new.links_out.get().to_case == old and new.links_out.get().kind == LinkKind.RELATED
    old.refresh_from_db()
    assert old.stage == Stage.CLOSED


def test_unusable_fields_from_a_channel_do_not_lose_the_complaint(users: dict[str, Any]) -> None:
    event = filed(submit(users["agent"], "a", fields={"branch": "no-such-branch", "severity": "S2"}))
    case = event.case
    assert case is not None and case.severity == 2 and case.branch is None
    assert "no-such-branch" in case.notes.get().body


def test_a_failure_is_retried_with_backoff_then_dead_lettered_and_requeued(users: dict[str, Any]) -> None:
    event = submit(users["agent"], "a")
    with time_machine.travel(NOW, tick=False), mock.patch("tingjian.channels.adapters.api.ApiAdapter.parse", side_effect=RuntimeError("boom")):
        assert pipeline.ingest(event.pk) == "will retry"
        event.refresh_from_db()
        assert event.status == EventStatus.RETRYING and event.attempts == 1
        assert event.next_attempt_at == clock.now() + timedelta(seconds=30)
        assert "RuntimeError" in event.last_error and Case.objects.count() == 0
        for _ in range(pipeline.MAX_ATTEMPTS - 1):
            outcome = pipeline.ingest(event.pk)
    assert outcome == "dead-lettered"
    event.refresh_from_db()
    assert event.status == EventStatus.DEAD and event.attempts == pipeline.MAX_ATTEMPTS
    assert Notification.objects.filter(recipient=users["admin"], kind="channel.dead_letter").exists()
    assert pipeline.ingest(event.pk) == "already dead"
    services.requeue(event, by=users["admin"])
    assert filed(event).status == EventStatus.FILED and Case.objects.count() == 1


def test_only_an_administrator_may_requeue(users: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    event = submit(users["agent"], "a")
    with pytest.raises(PermissionDenied):
        services.requeue(event, by=users["agent"])


def test_an_unreadable_stored_event_is_dead_lettered_at_once(users: dict[str, Any]) -> None:
    event = submit(users["agent"], "a")
    InboundEvent.objects.filter(pk=event.pk).update(body=b"{not json")
    assert pipeline.ingest(event.pk) == "dead-lettered"
    assert InboundEvent.objects.get(pk=event.pk).attempts == 1


def test_the_sweep_enqueues_what_waited_too_long(users: dict[str, Any]) -> None:
    with time_machine.travel(NOW, tick=False):
        stuck = submit(users["agent"], "old")
    with time_machine.travel(clock.now() + timedelta(minutes=10), tick=False):
        fresh = submit(users["agent"], "new")
        with mock.patch("tingjian.channels.pipeline.enqueue_ingest") as enqueue:
            counts = pipeline.sweep()
    assert counts["events"] == 1
    enqueue.assert_called_once_with(stuck.pk)
    assert fresh.status == EventStatus.RECEIVED


def test_a_phone_in_the_text_of_another_customer_is_only_suggested(users: dict[str, Any]) -> None:
    other = filed(submit(users["agent"], "a", phone="0933 222 111", name="王先生")).case.customer
    event = filed(submit(users["agent"], "b", phone="0911 555 666", body="我先生 0933-222-111 昨天打過電話"))
    mine = event.case.customer
    assert mine != other
    suggestion = MatchSuggestion.objects.get()
    assert {suggestion.customer, suggestion.candidate} == {mine, other} and suggestion.reason == "phone_in_text"


def test_a_phone_mentioned_in_text_is_never_an_identity_but_suggests_its_later_owner(users: dict[str, Any]) -> None:
    wife = filed(submit(users["agent"], "a", phone="", email="mei@example.com", body="我先生 0955-123-456 會再打來")).case.customer
    assert not Identity.objects.filter(kind="phone").exists()
    husband = filed(submit(users["agent"], "b", phone="0955 123 456", name="陳先生", body="我太太投訴過")).case.customer
    assert husband != wife  # his calls are his, not filed under her
    suggestion = MatchSuggestion.objects.get()
    assert {suggestion.customer, suggestion.candidate} == {wife, husband} and suggestion.evidence == "+886955123456"


def test_the_intake_api_answers_202_then_the_case_number(api_as: Any) -> None:
    api = api_as("agent")
    body = {"customer": {"name": "Mr Lee", "email": "lee@example.com"}, "body": "Wrong invoice amount"}
    first = api.post("/intake", body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202, first.content
    assert first.json()["case"] is None and first.json()["status"] == "received"
    pipeline.ingest(first.json()["id"])
    status = api.get(f"/intake/{first.json()['id']}")
    assert status.json()["status"] == "filed" and status.json()["case"].startswith("C-")
    again = api.post("/intake", body, **{"Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["case"] == status.json()["case"]
    conflict = api.post("/intake", {**body, "body": "something else"}, **{"Idempotency-Key": "k-1"})
    assert conflict.status_code == 409


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"customer": {"name": "No way to reach"}, "body": "x"}, {"Idempotency-Key": "k"}),
        ({"customer": {"email": "a@example.com"}, "body": "x"}, {}),
        ({"customer": {"email": "a@example.com"}, "body": "x", "stage": "closed"}, {"Idempotency-Key": "k"}),
    ],
)
def test_the_intake_api_refuses_bad_requests_and_stores_nothing(api_as: Any, body: dict[str, Any], headers: dict[str, str]) -> None:
    response = api_as("agent").post("/intake", body, **headers)
    assert response.status_code == 422 and InboundEvent.objects.count() == 0


def test_an_executive_cannot_hand_over_complaints(api_as: Any) -> None:
    response = api_as("executive").post("/intake", {"customer": {"email": "a@example.com"}, "body": "x"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 403 and InboundEvent.objects.count() == 0


def test_another_callers_intake_request_is_not_found(api_as: Any) -> None:
    made = api_as("agent").post("/intake", {"customer": {"email": "a@example.com"}, "body": "x"}, **{"Idempotency-Key": "k"})
    assert api_as("manager").get(f"/intake/{made.json()['id']}").status_code == 404


def test_merging_customers_then_unmerging_puts_everything_back(users: dict[str, Any]) -> None:
    from tingjian.cases.merging import merge_customers, unmerge_customers

    a = filed(submit(users["agent"], "a", phone="0933 000 001", name="陳小姐")).case
    b = filed(submit(users["agent"], "b", phone="", email="chen@example.com", name="Ms Chen")).case
    survivor, absorbed = a.customer, b.customer
    merge = merge_customers(survivor, absorbed, by=users["agent"], why="Same person: she said so on the phone")
    b.refresh_from_db()
    absorbed.refresh_from_db()
    assert b.customer == survivor and absorbed.merged_into == survivor
    assert set(survivor.identities.values_list("kind", flat=True)) == {"phone", "email"}
    # After the merge, mail from her address threads into the survivor's open case.
    later = filed(submit(users["agent"], "c", phone="", email="chen@example.com", body="any news?"))
    assert later.case.customer == survivor
    unmerge_customers(merge, by=users["agent"], why="Two different people after all")
    b.refresh_from_db()
    absorbed.refresh_from_db()
    assert b.customer == absorbed and absorbed.merged_into is None
    assert list(absorbed.identities.values_list("kind", flat=True)) == ["email"]
    assert list(survivor.identities.values_list("kind", flat=True)) == ["phone"]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"customer.merged", "customer.unmerged"} <= actions


def test_a_merge_needs_a_reason_and_the_permission(users: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    from tingjian.cases.merging import merge_customers

    a = filed(submit(users["agent"], "a", phone="0933 000 001")).case.customer
    b = filed(submit(users["agent"], "b", phone="0933 000 002")).case.customer
    with pytest.raises(ValidationError):
        merge_customers(a, b, by=users["agent"], why="same")
    with pytest.raises(PermissionDenied):
        merge_customers(a, b, by=users["executive"], why="They are the same person")
    assert Customer.objects.filter(merged_into__isnull=False).count() == 0


def test_an_automatic_acknowledgement_is_no_first_response(users: dict[str, Any], open_case: Any) -> None:
    case = open_case()
    case_services.record_reply(case, body="已收到，案件編號…", by=users["agent"], automatic=True)
    case.refresh_from_db()
    assert case.first_response_at is None


def test_the_same_photo_arriving_twice_is_stored_once(users: dict[str, Any], open_case: Any) -> None:
    from tingjian.cases.models import Attachment

    case = open_case()
    message = case.messages.get()
    first = Attachment(message=message, kind="image", filename="a.jpg")
    case_services.put_attachment_content(first, b"\xff\xd8same-bytes")
    first.save()
    second = Attachment(message=message, kind="image", filename="b.jpg")
    case_services.put_attachment_content(second, b"\xff\xd8same-bytes")
    second.save()
    assert first.file.name == second.file.name == f"attachments/{first.sha256[:2]}/{first.sha256}"
    with second.file.open("rb") as handle:
        assert handle.read() == b"\xff\xd8same-bytes"
