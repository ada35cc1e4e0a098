"""Invitations: one per closed case, after the delay, never for spam, by chat or by email."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail

from tingjian import clock
from tingjian.cases import services as case_services
from tingjian.cases.models import Case, Direction
from tingjian.channels import outbound
from tingjian.channels import services as channel_services
from tingjian.channels.models import Contact, OutboundDelivery
from tingjian.customers import services as customer_services
from tingjian.sealed import unseal
from tingjian.surveys import sending, services
from tingjian.surveys.models import Invitation, InvitationStatus

from .conftest import close

pytestmark = pytest.mark.django_db


def test_a_closed_case_gets_one_invitation_however_often_the_sweep_runs(
    closed_case: Callable[..., Case], _no_queue: list[int], django_capture_on_commit_callbacks: Any,
) -> None:
    case = closed_case()
    with django_capture_on_commit_callbacks(execute=True):
        services.periodic_work()
    services.periodic_work()
    invitation = Invitation.objects.get(case=case)
    assert Invitation.objects.filter(case=case).count() == 1
    assert invitation.status == InvitationStatus.PENDING
    assert _no_queue == [invitation.pk]  # sent by a task, after commit


def test_a_second_worker_that_picked_the_same_case_makes_no_second_invitation(closed_case: Callable[..., Case]) -> None:
    case = closed_case()
    first = sending.create_invitation(case)
    # The other worker read the due cases before the first one committed.
    with mock.patch.object(sending, "due_cases", return_value=[case]):
        result = sending.sweep()
    assert first is not None
    assert sending.create_invitation(case) is None
    assert Invitation.objects.filter(case=case).count() == 1
    assert "0 invited" in result


def test_no_invitation_before_the_delay(closed_case: Callable[..., Case], settings: Any) -> None:
    case = closed_case(ago=timedelta(minutes=20))
    services.periodic_work()
    assert not Invitation.objects.filter(case=case).exists()
    settings.TINGJIAN_SURVEY_DELAY_MINUTES = 15
    services.periodic_work()
    assert Invitation.objects.filter(case=case).exists()


@pytest.mark.parametrize("reason", ["spam", "duplicate"])
def test_spam_and_duplicate_closes_get_no_invitation(closed_case: Callable[..., Case], reason: str) -> None:
    case = closed_case(reason=reason)
    services.periodic_work()
    assert sending.create_invitation(case) is None
    assert not Invitation.objects.filter(case=case).exists()


def test_a_case_closed_long_ago_is_not_invited_when_surveys_start(closed_case: Callable[..., Case]) -> None:
    case = closed_case(ago=sending.LOOKBACK + timedelta(hours=1))
    services.periodic_work()
    assert not Invitation.objects.filter(case=case).exists()


def test_a_customer_we_cannot_reach_is_skipped_once_and_never_sent(
    open_case: Callable[..., Case], _no_queue: list[int], django_capture_on_commit_callbacks: Any,
) -> None:
    case = close(open_case())  # the shared customer has a phone number only
    with django_capture_on_commit_callbacks(execute=True):
        services.periodic_work()
    invitation = Invitation.objects.get(case=case)
    assert invitation.status == InvitationStatus.SKIPPED
    assert "no email address" in invitation.problem
    assert _no_queue == []
    assert sending.due_cases(clock.now()) == []


def test_email_invitation_is_sent_once_with_the_link_in_html_and_text(closed_case: Callable[..., Case]) -> None:
    case = closed_case(subject="外送湯麵冷掉")
    invitation = sending.create_invitation(case)
    assert invitation is not None
    assert sending.send(invitation.pk) == "sent by email"
    assert sending.send(invitation.pk).startswith("nothing to send")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    url = sending.survey_url(unseal(invitation.token_sealed)["token"])
    html = message.alternatives[0].content
    assert message.to == ["meiling@example.com"]
    assert url in message.body and url in str(html)
    assert case.number in message.subject
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.channel) == (InvitationStatus.SENT, "email")
    assert invitation.expires_at == invitation.sent_at + timedelta(days=30)


def test_the_invitation_speaks_the_script_the_customer_wrote_in(
    open_case: Callable[..., Case], emailed_customer: Any,
) -> None:
    simplified = close(open_case(customer=emailed_customer, subject="汤面", body="外卖的牛肉面送到时汤是冷的，面也糊了，请尽快处理。"))
    traditional = close(open_case(customer=emailed_customer))
    english = close(open_case(customer=emailed_customer, subject="Cold soup", body="The beef noodle soup arrived cold."))
    assert sending.choose_language(simplified) == "zh-hans"
    assert sending.choose_language(traditional) == "zh-hant"
    assert sending.choose_language(english) == "en"
    invitation = sending.create_invitation(english)
    assert invitation is not None and invitation.language == "en"
    sending.send(invitation.pk)
    assert 'lang="en"' in str(mail.outbox[0].alternatives[0].content)


def test_an_email_that_fails_is_retried_then_given_up(closed_case: Callable[..., Case], _no_queue: list[int]) -> None:
    invitation = sending.create_invitation(closed_case())
    assert invitation is not None
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")):
        assert sending.send(invitation.pk) == "will retry"
        invitation.refresh_from_db()
        assert invitation.status == InvitationStatus.PENDING and invitation.attempts == 1
        assert invitation.problem == "OSError"  # the class only: an SMTP error may quote the address
        assert _no_queue == [invitation.pk]
        for _attempt in sending.RETRY_WAITS:
            Invitation.objects.filter(pk=invitation.pk).update(next_attempt_at=clock.now())
            result = sending.send(invitation.pk)
    assert result == "failed"
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.FAILED
    assert mail.outbox == []


def test_a_reopened_case_is_not_asked_until_it_is_closed_again(closed_case: Callable[..., Case], _no_queue: list[int]) -> None:
    case = closed_case()
    invitation = sending.create_invitation(case)
    assert invitation is not None
    close(case, ago=timedelta(minutes=5))  # closed again a moment ago, after a reopening
    assert sending.send(invitation.pk) == "case not closed long enough; postponed"
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.next_attempt_at is not None and invitation.status == InvitationStatus.PENDING


# ----------------------------------------------------------------------------- chat channels


@pytest.fixture
def line_case(open_case: Callable[..., Case]) -> Case:
    channel = channel_services.create_channel(
        kind="line", name="oa", display_name="王品 LINE", values={"channel_secret": "s", "channel_access_token": "t"},
        by=None, sandbox=True,
    )
    customer = customer_services.create_customer(
        display_name="林先生", by=None, identities=[("line", "U" + "a" * 32), ("email", "lin@example.com")],
    )
    identity = customer.identities.get(kind="line")
    Contact.objects.create(channel=channel, identity=identity, last_inbound_at=clock.now(), changed_at=clock.now())
    return close(open_case(customer=customer, channel="line"))


def test_a_line_case_is_invited_on_its_own_channel(line_case: Case) -> None:
    found = sending.route(line_case)
    assert found.channel == "line"
    assert found.target is not None and found.target.channel is not None and found.target.channel.name == "oa"


def test_a_chat_case_whose_channel_cannot_reach_the_customer_is_invited_by_email(
    open_case: Callable[..., Case], emailed_customer: Any,
) -> None:
    case = close(open_case(customer=emailed_customer, channel="wechat"))  # no WeChat contact any more
    assert sending.route(case).channel == "email"


def test_the_line_invitation_is_an_automatic_message_on_the_case_thread(line_case: Case) -> None:
    invitation = sending.create_invitation(line_case)
    assert invitation is not None
    assert invitation.brand == "王品 LINE"
    assert sending.send(invitation.pk) == "sent on line"
    invitation.refresh_from_db()
    message = invitation.message
    assert message is not None and message.case_id == line_case.pk
    assert (message.direction, message.channel, message.automatic) == (Direction.OUTBOUND, "line", True)
    assert sending.survey_url(unseal(invitation.token_sealed)["token"]) in message.body
    delivery = OutboundDelivery.objects.get(message=message)
    assert outbound.deliver(delivery.pk) == "sent (sandbox)"  # the channel's own task, with its retries
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert invitation.channel == "line" and mail.outbox == []
    line_case.refresh_from_db()
    assert line_case.first_response_at is None or line_case.first_response_at < message.sent_at


def test_replying_on_a_closed_case_is_still_refused_to_people(line_case: Case, users: dict[str, Any]) -> None:
    # The survey's automatic message must not open a way for staff to write on closed cases.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        case_services.record_reply(line_case, body="hi", by=users["manager"])
