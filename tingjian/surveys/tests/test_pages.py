"""QA's follow-ups page, the answers list and its exports, the case page's survey card."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from tingjian import clock
from tingjian.audit.models import AuditEvent
from tingjian.cases.models import Case
from tingjian.org.tests.factories import BranchFactory
from tingjian.surveys import selectors, services
from tingjian.surveys.models import Answer, FollowUp, Invitation

pytestmark = pytest.mark.django_db

Invite = Callable[..., tuple[Invitation, str]]
FOLLOW_UPS = "/surveys/follow-ups/"
ANSWERS = "/surveys/answers/"


def answer(invite: Invite, *, csat: int, nps: int | None = None, comment: str = "", case: Case | None = None) -> Answer:
    _invitation, token = invite(case)
    services.record_csat(token, score=csat)
    if nps is not None or comment:
        services.complete(token, nps=nps, comment=comment)
    return Answer.objects.get(invitation=_invitation)


# ----------------------------------------------------------------------------- follow-ups


@pytest.mark.parametrize(("role", "status"), [("qa", 200), ("manager", 200), ("agent", 403), ("executive", 403), ("staff", 403)])
def test_the_follow_ups_page_is_for_qa_and_managers(client_for: Callable[[str], Client], role: str, status: int) -> None:
    assert client_for(role).get(FOLLOW_UPS).status_code == status


def test_the_follow_ups_page_lists_open_ones_first_in_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], invite: Invite, users: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    done = answer(invite, csat=1)
    services.resolve_follow_up(done.follow_up, by=users["qa"], note="已致電道歉並補償")
    for _ in range(2):
        answer(invite, csat=2, comment="太慢了")
    client = client_for("qa")
    with django_assert_num_queries(6):
        response = client.get(FOLLOW_UPS)
    assert [r.status for r in response.context["rows"]] == ["open", "open", "done"]
    for _ in range(3):
        answer(invite, csat=1)
    with django_assert_num_queries(6):
        response = client.get(FOLLOW_UPS)
    assert len(response.context["rows"]) == 6
    assert "太慢了" in response.content.decode()


def test_taking_and_resolving_a_follow_up_is_audited(client_for: Callable[[str], Client], invite: Invite, users: dict[str, Any]) -> None:
    follow_up = answer(invite, csat=1).follow_up
    client = client_for("qa")
    client.post(f"{FOLLOW_UPS}{follow_up.pk}/take/")
    follow_up.refresh_from_db()
    assert follow_up.taken_by == users["qa"]
    response = client.post(f"{FOLLOW_UPS}{follow_up.pk}/resolve/", {"note": "已致電顧客道歉，下次消費折抵"}, follow=True)
    assert "is done" in response.content.decode()
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.done_by, follow_up.resolution) == ("done", users["qa"], "已致電顧客道歉，下次消費折抵")
    actions = list(AuditEvent.objects.filter(object_id=str(follow_up.case_id), action__startswith="survey.").values_list("action", flat=True))
    assert actions == ["survey.follow_up_opened", "survey.follow_up_taken", "survey.follow_up_done"]


def test_resolving_without_a_note_is_refused_with_a_message(client_for: Callable[[str], Client], invite: Invite) -> None:
    follow_up = answer(invite, csat=1).follow_up
    response = client_for("manager").post(f"{FOLLOW_UPS}{follow_up.pk}/resolve/", {"note": "  "}, follow=True)
    assert "Write what was done" in response.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.status == "open" and follow_up.done_by is None


def test_a_done_follow_up_cannot_be_resolved_again(invite: Invite, users: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    follow_up = answer(invite, csat=1).follow_up
    services.resolve_follow_up(follow_up, by=users["qa"], note="done once")
    with pytest.raises(ValidationError):
        services.resolve_follow_up(follow_up, by=users["qa2"], note="again")
    follow_up.refresh_from_db()
    assert (follow_up.done_by, follow_up.resolution) == (users["qa"], "done once")


def test_an_agent_cannot_take_or_resolve_a_follow_up(client_for: Callable[[str], Client], invite: Invite) -> None:
    follow_up = answer(invite, csat=1).follow_up
    client = client_for("agent")
    assert client.post(f"{FOLLOW_UPS}{follow_up.pk}/take/").status_code == 403
    assert client.post(f"{FOLLOW_UPS}{follow_up.pk}/resolve/", {"note": "x"}).status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.taken_by is None and follow_up.status == "open"


def test_the_next_link_after_an_action_stays_on_this_site(client_for: Callable[[str], Client], invite: Invite) -> None:
    follow_up = answer(invite, csat=1).follow_up
    response = client_for("qa").post(f"{FOLLOW_UPS}{follow_up.pk}/take/", {"next": "https://evil.example/"})
    assert response["Location"] == FOLLOW_UPS


# ----------------------------------------------------------------------------- answers


@pytest.mark.parametrize(("role", "status"), [("qa", 200), ("manager", 200), ("executive", 200), ("admin", 200), ("agent", 403), ("staff", 403)])
def test_the_answers_page_is_for_those_who_may_see_answers(client_for: Callable[[str], Client], role: str, status: int) -> None:
    assert client_for(role).get(ANSWERS).status_code == status


def test_the_answers_page_filters_by_score_branch_and_period(
    client_for: Callable[[str], Client], invite: Invite, closed_case: Callable[..., Case],
) -> None:
    other_branch = BranchFactory(code="tc-01")
    low = answer(invite, csat=1, nps=3)
    high = answer(invite, csat=5, nps=10)
    elsewhere = answer(invite, csat=4, case=closed_case(branch=other_branch))
    Answer.objects.filter(pk=elsewhere.pk).update(answered_at=clock.now() - timedelta(days=40))
    client = client_for("manager")

    def shown(params: dict[str, str]) -> set[int]:
        return {a.pk for a in client.get(ANSWERS, params).context["rows"]}

    assert shown({}) == {low.pk, high.pk, elsewhere.pk}
    assert shown({"csat": "low"}) == {low.pk}
    assert shown({"csat": "5"}) == {high.pk}
    assert shown({"nps": "detractor"}) == {low.pk}
    assert shown({"branch": str(other_branch.pk)}) == {elsewhere.pk}
    today = timezone.localdate()  # the period is in local days (Asia/Taipei)
    assert shown({"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat()}) == {low.pk, high.pk}
    summary = client.get(ANSWERS, {"csat": "low"}).context["summary"]
    assert summary["count"] == 1 and summary["nps"] == -100


def test_a_bad_filter_is_shown_and_ignored(client_for: Callable[[str], Client], invite: Invite) -> None:
    answer(invite, csat=3)
    response = client_for("manager").get(ANSWERS, {"start": "2026-05-10", "end": "2026-05-01", "csat": "9"})
    assert response.status_code == 200
    assert "The end is before the start." in response.content.decode()
    assert len(response.context["rows"]) == 1


def test_the_answers_list_takes_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], invite: Invite, django_assert_num_queries: Any,
) -> None:
    answer(invite, csat=1, nps=2, comment="慢")
    client = client_for("manager")
    with django_assert_num_queries(8):
        client.get(ANSWERS)
    for score in (2, 3, 4, 5):
        answer(invite, csat=score, nps=score * 2, comment="好")
    with django_assert_num_queries(8):
        response = client.get(ANSWERS)
    assert len(response.context["rows"]) == 5


def test_the_answers_export_as_csv_and_xlsx(client_for: Callable[[str], Client], invite: Invite) -> None:
    first = answer(invite, csat=2, nps=5, comment="=HYPERLINK(\"x\")")
    client = client_for("qa")
    response = client.get(ANSWERS, {"export": "csv", "csat": "low"})
    assert response["Content-Disposition"] == 'attachment; filename="survey-answers.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][1] == "Case" and len(rows) == 2
    assert rows[1][1] == first.invitation.case.number
    assert rows[1][11].startswith("'=")  # a comment never runs as a spreadsheet formula
    xlsx = client.get(ANSWERS, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.cell(row=2, column=7).value == 2
    assert client.get(ANSWERS, {"export": "pdf"}).status_code == 302


# ----------------------------------------------------------------------------- the case page


def test_the_case_card_shows_the_score_comment_and_follow_up(invite: Invite, users: dict[str, Any], django_assert_num_queries: Any) -> None:
    low = answer(invite, csat=1, nps=0, comment="再也不去了")
    case = low.invitation.case
    with django_assert_num_queries(1):
        survey = selectors.survey_for_case(case)
    assert survey is not None and survey.answer == low and survey.follow_up == low.follow_up
    request = RequestFactory().get("/")
    request.user = users["qa"]
    html = render_to_string("web/surveys/partials/case_survey.html", {"survey": survey, "case": case}, request=request)
    assert "再也不去了" in html and "Follow-up open" in html and FOLLOW_UPS in html


def test_the_case_card_is_empty_without_an_invitation(closed_case: Callable[..., Case]) -> None:
    case = closed_case()
    assert selectors.survey_for_case(case) is None
    assert render_to_string("web/surveys/partials/case_survey.html", {"survey": None}).strip() == ""


def test_follow_ups_of_a_case_the_reader_may_not_see_are_not_listed(
    invite: Invite, users: dict[str, Any], closed_case: Callable[..., Case], company: dict[str, Any],
) -> None:
    answer(invite, csat=1, case=closed_case(department=company["cs"]))  # agent2 works in logistics
    assert selectors.follow_ups(users["agent2"]).count() == 0
    assert selectors.follow_ups(users["qa"]).count() == 1
    assert FollowUp.objects.count() == 1
