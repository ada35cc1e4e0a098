"""The customer's page: one tap answers, GET changes nothing, bad links change nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tingjian import clock
from tingjian.alerts.models import Notification
from tingjian.cases.models import Case, Note
from tingjian.surveys import services
from tingjian.surveys.models import Answer, FollowUp, Invitation, InvitationStatus

pytestmark = pytest.mark.django_db

Invite = Callable[..., tuple[Invitation, str]]


def page(token: str) -> str:
    return f"/surveys/{token}/"


def test_the_page_shows_the_case_and_five_score_buttons_and_a_get_records_nothing(invite: Invite) -> None:
    invitation, token = invite()
    response = Client().get(page(token))
    assert response.status_code == 200
    body = response.content.decode()
    assert invitation.case.number in body and invitation.case.subject in body
    assert body.count('name="csat"') == 5
    assert 'name="csrfmiddlewaretoken"' in body
    assert response["Cache-Control"] == "no-store"
    assert not Answer.objects.exists()


def test_one_tap_records_the_satisfaction_score(invite: Invite) -> None:
    invitation, token = invite()
    response = Client().post(page(token), {"csat": "4"})
    assert response.status_code == 302
    answer = Answer.objects.get(invitation=invitation)
    assert (answer.csat, answer.nps, answer.completed_at) == (4, None, None)
    follow = Client().get(response["Location"])
    assert follow.status_code == 200
    assert 'name="nps"' in follow.content.decode() and 'name="comment"' in follow.content.decode()


def test_the_thank_you_step_adds_a_recommendation_and_comment_then_the_answer_is_final(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "5"})
    response = client.post(page(token) + "more/", {"nps": "9", "comment": "服務很好，謝謝"})
    assert response.status_code == 200
    answer = Answer.objects.get(invitation=invitation)
    assert (answer.csat, answer.nps, answer.comment) == (5, 9, "服務很好，謝謝")
    assert answer.is_complete
    again = client.post(page(token) + "more/", {"nps": "0", "comment": "changed my mind"})
    assert again.status_code == 409
    assert client.get(page(token)).status_code == 409
    answer.refresh_from_db()
    assert (answer.nps, answer.comment) == (9, "服務很好，謝謝")


def test_a_forged_link_is_404_and_records_nothing(invite: Invite) -> None:
    invite()
    client = Client()
    assert client.get(page("not-a-real-token-at-all")).status_code == 404
    response = client.post(page("not-a-real-token-at-all"), {"csat": "1"})
    assert response.status_code == 404
    assert "cannot find this survey" in response.content.decode()
    assert not Answer.objects.exists()


def test_an_unsent_invitations_link_is_404(closed_case: Callable[..., Case]) -> None:
    from tingjian.sealed import unseal
    from tingjian.surveys import sending

    invitation = sending.create_invitation(closed_case())
    assert invitation is not None and invitation.status == InvitationStatus.PENDING
    token = unseal(invitation.token_sealed)["token"]
    assert Client().post(page(token), {"csat": "5"}).status_code == 404
    assert not Answer.objects.exists()


def test_an_expired_link_is_410_and_records_nothing(invite: Invite) -> None:
    invitation, token = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=clock.now() - timedelta(minutes=1))
    client = Client()
    assert client.get(page(token)).status_code == 410
    response = client.post(page(token), {"csat": "5"})
    assert response.status_code == 410
    assert "closed" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_reused_link_is_409_and_keeps_the_first_score(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "2"})
    response = client.post(page(token), {"csat": "5"})
    assert response.status_code == 409
    assert "answered already" in response.content.decode()
    assert Answer.objects.get(invitation=invitation).csat == 2
    assert Answer.objects.count() == 1


@pytest.mark.parametrize("score", ["0", "6", "abc", "", "3.5"])
def test_a_score_outside_one_to_five_gets_a_message_and_records_nothing(invite: Invite, score: str) -> None:
    _invitation, token = invite()
    response = Client().post(page(token), {"csat": score})
    assert response.status_code == 422
    assert "pub-alert" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_recommendation_outside_zero_to_ten_or_an_empty_step_is_refused(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "4"})
    too_high = client.post(page(token) + "more/", {"nps": "11", "comment": "keep me"})
    assert too_high.status_code == 422
    assert "keep me" in too_high.content.decode()  # what they wrote is not lost
    empty = client.post(page(token) + "more/", {"nps": "", "comment": "  "})
    assert empty.status_code == 422
    answer = Answer.objects.get(invitation=invitation)
    assert (answer.nps, answer.comment, answer.completed_at) == (None, "", None)


def test_the_thank_you_step_before_a_score_asks_for_the_score_first(invite: Invite) -> None:
    _invitation, token = invite()
    response = Client().post(page(token) + "more/", {"nps": "8"})
    assert response.status_code == 422
    assert response.content.decode().count('name="csat"') == 5
    assert not Answer.objects.exists()


def test_the_post_needs_the_pages_csrf_token(invite: Invite) -> None:
    _invitation, token = invite()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(page(token), {"csat": "5"}).status_code == 403
    assert not Answer.objects.exists()
    strict.get(page(token))
    csrf = strict.cookies["csrftoken"].value
    assert strict.post(page(token), {"csat": "5", "csrfmiddlewaretoken": csrf}).status_code == 302


def test_the_page_speaks_the_invitations_language_and_switches(invite: Invite) -> None:
    _invitation, token = invite(language="zh-hans")
    assert 'lang="zh-hans"' in Client().get(page(token)).content.decode()
    switched = Client().get(page(token), {"lang": "en"}).content.decode()
    assert 'lang="en"' in switched and "How satisfied are you" in switched


# ----------------------------------------------------------------------------- low scores


def test_a_low_score_opens_one_follow_up_tells_qa_and_notes_the_case(invite: Invite, users: dict[str, Any]) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "1"})
    client.post(page(token) + "more/", {"nps": "2", "comment": "等了很久"})
    follow_up = FollowUp.objects.get()
    assert follow_up.case_id == invitation.case_id and follow_up.status == "open"
    assert follow_up.reasons == ["csat", "nps"]
    told = Notification.objects.filter(kind="surveys.low_score")
    assert {n.recipient.username for n in told} == {"qa", "qa2"}
    assert told.first() is not None and told.first().url == "/surveys/follow-ups/"  # type: ignore[union-attr]
    notes = Note.objects.filter(case_id=invitation.case_id)
    assert notes.count() == 2
    assert "CSAT 1/5" in notes.first().body  # type: ignore[union-attr]
    assert all(n.author.username == "tingjian" for n in notes)
    assert all("等了很久" not in n.body for n in notes)  # the customer's words stay in the survey panel


def test_a_happy_answer_opens_no_follow_up(invite: Invite) -> None:
    _invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "4"})
    client.post(page(token) + "more/", {"nps": "8"})
    assert not FollowUp.objects.exists()
    assert not Notification.objects.filter(kind="surveys.low_score").exists()


def test_a_detractor_score_alone_opens_a_follow_up(invite: Invite) -> None:
    _invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "3"})
    client.post(page(token) + "more/", {"nps": "6"})
    assert FollowUp.objects.get().reasons == ["nps"]


def test_a_comment_mentioning_diarrhoea_flags_safety_and_opens_an_urgent_follow_up(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "4"})
    client.post(page(token) + "more/", {"comment": "處理得還可以，但那天吃完回家全家都拉肚子"})
    answer = Answer.objects.get(invitation=invitation)
    assert services.analyse(answer.pk).startswith("analysed")
    answer.refresh_from_db()
    assert answer.safety is True
    assert answer.sentiment in {"negative", "neutral", "positive"}
    assert answer.analysed_at is not None
    assert FollowUp.objects.get(answer=answer).reasons == ["safety"]
    told = Notification.objects.filter(kind="surveys.low_score")
    assert told.exists() and all(n.urgent for n in told)
    assert services.analyse(answer.pk) == "nothing to analyse"  # idempotent


def test_a_comment_is_analysed_like_complaint_text(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "2"})
    client.post(page(token) + "more/", {"comment": "外送的牛肉麵送到時湯是冷的，麵也糊了，客服回覆很慢"})
    answer = Answer.objects.get(invitation=invitation)
    services.analyse(answer.pk)
    answer.refresh_from_db()
    assert answer.safety is False
    assert answer.keywords and all(isinstance(k, str) for k in answer.keywords)
    assert any(k in {"牛肉麵", "湯", "冷", "糊", "客服", "回覆", "外送"} or "麵" in k for k in answer.keywords)
    assert FollowUp.objects.get(answer=answer).reasons == ["csat"]  # one follow-up, not a second


def test_a_comment_whose_analysis_task_was_lost_is_analysed_by_the_sweep(invite: Invite) -> None:
    invitation, token = invite()
    client = Client()
    client.post(page(token), {"csat": "5"})
    client.post(page(token) + "more/", {"comment": "很好"})
    Answer.objects.filter(invitation=invitation).update(completed_at=clock.now() - timedelta(minutes=10))
    services.periodic_work()
    assert Answer.objects.get(invitation=invitation).analysed_at is not None
