"""The radar pages: crises with their evidence, acknowledging and closing, the unanswered
public posts and the viral-risk list — each scoped to what the reader may see."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.customers import services as customer_services
from tingjian.radar import services, virality
from tingjian.radar.models import CrisisEvent, CrisisStatus, Dimension

from .conftest import NOW

RADAR = reverse("web:radar")
UNANSWERED = reverse("web:radar-unanswered")
RISK = reverse("web:radar-risk")


@pytest.fixture(autouse=True)
def _neutral_tone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(virality, "_negativity", lambda text: 0.0)


def _flash(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def crisis(spike: list[Case]) -> CrisisEvent:
    services.scan_now()
    return CrisisEvent.objects.get(dimension=Dimension.CATEGORY)


# ------------------------------------------------------------------------------- crises


@pytest.mark.parametrize("role", ["staff", "qa"])
def test_people_without_the_radar_permission_are_refused(client_for: Callable[[str], Client], role: str, traveller: Any) -> None:
    for url in (RADAR, UNANSWERED, RISK):
        assert client_for(role).get(url).status_code == 403


def test_the_radar_shows_an_open_crisis_with_its_evidence(
    client_for: Callable[[str], Client], crisis: CrisisEvent, spike: list[Case],
) -> None:
    page = client_for("manager").get(RADAR).content.decode()
    assert f'id="crisis-{crisis.pk}"' in page
    assert "Spike: Foreign object — 12 complaints in an hour (usually 0.0)" in page
    assert "<svg" in page and "<title" in page and 'class="usual"' in page
    assert page.count('class="bar') == 24  # one crisis; its branch, channel and total spikes are listed in it
    assert "The same complaints also spike" in page and "Taichung Qinmei" in page
    newest = max(spike, key=lambda c: c.opened_at)
    assert reverse("web:case-detail", args=[newest.number]) in page
    assert "Acknowledge" in page


def test_an_agent_sees_the_crisis_but_only_the_example_cases_they_may_see(
    client_for: Callable[[str], Client], crisis: CrisisEvent, spike: list[Case], company: dict[str, Any],
) -> None:
    response = client_for("agent").get(RADAR)
    page = response.content.decode()
    assert f'id="crisis-{crisis.pk}"' in page
    shown = [c for c in spike if reverse("web:case-detail", args=[c.number]) in page]
    assert shown and all(c.department_id == company["cs"].pk for c in shown)
    assert "5 more cases you may not see." in page
    assert "Acknowledge" not in page  # agents are not alerted of crises


def test_acknowledging_a_crisis_is_audited_and_shown_to_the_others(
    client_for: Callable[[str], Client], crisis: CrisisEvent, users: dict[str, Any],
) -> None:
    response = client_for("manager").post(reverse("web:radar-acknowledge", args=[crisis.pk]))
    assert response.status_code == 302
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.ACKNOWLEDGED
    assert crisis.acknowledged_by == users["manager"]
    # The same complaints seen by branch, channel and in total are taken with it.
    assert set(CrisisEvent.objects.values_list("status", flat=True)) == {CrisisStatus.ACKNOWLEDGED}
    event = AuditEvent.objects.get(action="radar.crisis_acknowledged")
    assert event.actor_id == users["manager"].pk and event.object_id == str(crisis.pk)
    page = client_for("executive").get(RADAR).content.decode()
    assert "Acknowledged" in page and "manager" in page


def test_a_second_acknowledgement_says_who_took_it_and_changes_nothing(
    client_for: Callable[[str], Client], crisis: CrisisEvent, users: dict[str, Any],
) -> None:
    services.acknowledge(crisis, by=users["manager"])
    response = client_for("executive").post(reverse("web:radar-acknowledge", args=[crisis.pk]))
    assert _flash(response) == ["Already acknowledged by manager at 2026-03-18 15:20."]
    crisis.refresh_from_db()
    assert crisis.acknowledged_by == users["manager"]
    assert AuditEvent.objects.filter(action="radar.crisis_acknowledged").count() == 1


def test_acknowledging_needs_the_crisis_alert_permission(
    client_for: Callable[[str], Client], crisis: CrisisEvent,
) -> None:
    response = client_for("agent").post(reverse("web:radar-acknowledge", args=[crisis.pk]))
    assert response.status_code == 403
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.OPEN
    assert not AuditEvent.objects.filter(action="radar.crisis_acknowledged").exists()


def test_closing_a_crisis_keeps_the_note_and_lists_it_as_closed(
    client_for: Callable[[str], Client], crisis: CrisisEvent, pr_user: Any,
) -> None:
    client = client_for("pr")
    client.post(reverse("web:radar-close", args=[crisis.pk]), {"note": "供應商批次已下架"})
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.CLOSED and crisis.closed_by == pr_user
    assert set(CrisisEvent.objects.values_list("status", flat=True)) == {CrisisStatus.CLOSED}
    assert AuditEvent.objects.get(action="radar.crisis_closed").reason == "供應商批次已下架"
    page = client.get(RADAR).content.decode()
    assert f'id="crisis-{crisis.pk}"' not in page
    assert "供應商批次已下架" in page


def test_a_closing_note_too_long_is_refused_and_changes_nothing(
    client_for: Callable[[str], Client], crisis: CrisisEvent,
) -> None:
    response = client_for("manager").post(reverse("web:radar-close", args=[crisis.pk]), {"note": "x" * 501})
    assert _flash(response) == ["At most 500 characters."]
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.OPEN


def test_a_closed_crisis_cannot_be_acknowledged(
    client_for: Callable[[str], Client], crisis: CrisisEvent, users: dict[str, Any],
) -> None:
    services.close(crisis, by=users["manager"])
    response = client_for("executive").post(reverse("web:radar-acknowledge", args=[crisis.pk]))
    assert _flash(response) == ["This crisis is already closed."]


def test_an_unknown_crisis_is_not_found(client_for: Callable[[str], Client], traveller: Any) -> None:
    assert client_for("manager").post(reverse("web:radar-acknowledge", args=[999])).status_code == 404


def test_with_no_crisis_the_radar_says_all_is_usual(client_for: Callable[[str], Client], traveller: Any) -> None:
    assert "No crisis now" in client_for("manager").get(RADAR).content.decode()


def test_the_crises_leave_as_csv_and_xlsx(client_for: Callable[[str], Client], crisis: CrisisEvent) -> None:
    client = client_for("manager")
    csv = client.get(RADAR, {"format": "csv"})
    assert csv["Content-Disposition"] == 'attachment; filename="crises.csv"'
    assert "Foreign object" in csv.content.decode("utf-8-sig")
    xlsx = client.get(RADAR, {"format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    bad = client.get(RADAR, {"format": "pdf"})
    assert bad.status_code == 302 and _flash(bad) == ["Unknown export format pdf; use csv or xlsx."]


# ----------------------------------------------------------------------------- unanswered


@pytest.fixture
def post(users: dict[str, Any], company: dict[str, Any], traveller: Any) -> Callable[..., Case]:
    count = iter(range(100))

    def make(body: str, *, minutes_ago: int, department: Any = None, public: bool = True, reach: int | None = 500) -> Case:
        n = next(count)
        who = customer_services.create_customer(display_name=f"網友{n}", by=None, identities=[("messenger", f"10000000000{n:05d}")])
        traveller.move_to(NOW - timedelta(minutes=minutes_ago))
        case = case_services.open_case(
            customer=who, subject=body[:20], channel="messenger", body=body, by=users["manager"], is_public=public,
            message_extra={"author_reach": reach}, fields={"department": department or company["cs"]},
        )
        traveller.move_to(NOW)
        return case

    return make


def test_the_unanswered_list_has_only_public_posts_without_a_reply_oldest_first(
    client_for: Callable[[str], Client], post: Callable[..., Case], users: dict[str, Any], traveller: Any,
) -> None:
    recent = post("剛剛吃到頭髮", minutes_ago=10)
    oldest = post("昨天的便當有蟲", minutes_ago=300)
    answered = post("湯是冷的", minutes_ago=200)
    traveller.move_to(NOW - timedelta(minutes=100))
    case_services.record_reply(answered, body="您好，很抱歉。", by=users["agent"])
    traveller.move_to(NOW)
    private = post("私訊：發票錯了", minutes_ago=400, public=False)
    response = client_for("pr").get(UNANSWERED)
    numbers = [row["message"].case.number for row in response.context["rows"]]
    assert numbers == [oldest.number, recent.number]
    assert answered.number not in numbers and private.number not in numbers
    page = response.content.decode()
    assert "5 h 0 min" in page and "10 min" in page


def test_a_customer_writing_again_after_our_reply_is_unanswered_again(
    client_for: Callable[[str], Client], post: Callable[..., Case], users: dict[str, Any], traveller: Any,
) -> None:
    case = post("便當有頭髮", minutes_ago=60)
    case_services.record_reply(case, body="您好，很抱歉。", by=users["agent"])
    traveller.shift(timedelta(minutes=5))
    case_services.record_customer_message(case, body="就這樣？", by=None, is_public=True)
    rows = client_for("pr").get(UNANSWERED).context["rows"]
    assert [row["message"].body for row in rows] == ["就這樣？"]


def test_the_unanswered_list_is_scoped_to_the_cases_the_reader_may_see(
    client_for: Callable[[str], Client], post: Callable[..., Case], company: dict[str, Any],
) -> None:
    mine = post("客服的留言", minutes_ago=30, department=company["cs"])
    theirs = post("物流的留言", minutes_ago=20, department=company["logistics"])
    agent = [row["message"].case.number for row in client_for("agent").get(UNANSWERED).context["rows"]]
    assert agent == [mine.number]
    everyone = [row["message"].case.number for row in client_for("manager").get(UNANSWERED).context["rows"]]
    assert everyone == [mine.number, theirs.number]


def test_the_unanswered_list_shows_the_viral_risk(
    client_for: Callable[[str], Client], post: Callable[..., Case],
) -> None:
    case = post("我要找記者爆料", minutes_ago=30, reach=100_000)
    services.recompute(case)
    rows = client_for("pr").get(UNANSWERED).context["rows"]
    assert rows[0]["message"].risk == 25 + 15 + 6


@pytest.mark.parametrize("role", ["agent", "pr"])
def test_the_unanswered_list_takes_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], post: Callable[..., Case], role: str, django_assert_num_queries: Any,
) -> None:
    for i in range(3):
        post(f"留言 {i}", minutes_ago=10 + i)
    client = client_for(role)
    client.get(UNANSWERED)
    queries = {"agent": 7, "pr": 6}[role]
    with django_assert_num_queries(queries):
        assert len(client.get(UNANSWERED).context["rows"]) == 3
    for i in range(30):
        post(f"更多留言 {i}", minutes_ago=50 + i)
    with django_assert_num_queries(queries):
        response = client.get(UNANSWERED)
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 33


def test_the_unanswered_posts_leave_as_csv(client_for: Callable[[str], Client], post: Callable[..., Case]) -> None:
    post("我要找記者爆料", minutes_ago=30)
    response = client_for("pr").get(UNANSWERED, {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert response["Content-Disposition"] == 'attachment; filename="unanswered-public-posts.csv"'
    assert "我要找記者爆料" in text and ",30," in text


# ------------------------------------------------------------------------------ viral risk


def test_the_risk_list_shows_cases_by_score_with_their_reasons(
    client_for: Callable[[str], Client], post: Callable[..., Case],
) -> None:
    low = post("便當冷了", minutes_ago=5, reach=150)
    high = post("我要找記者爆料", minutes_ago=120, reach=100_000)
    services.recompute(low)
    services.recompute(high)
    response = client_for("pr").get(RISK)
    assert [item["row"].case.number for item in response.context["items"]] == [high.number, low.number]
    page = response.content.decode()
    assert "The author reaches 100,000 people (+25)" in page
    assert "Mentions the media or influencers: 記者, 爆料 (+15)" in page
    assert "No reply for 2 h 0 min (+11)" in page


def test_the_risk_list_filters_by_a_lowest_score_and_refuses_nonsense(
    client_for: Callable[[str], Client], post: Callable[..., Case],
) -> None:
    low = post("便當冷了", minutes_ago=5, reach=150)
    high = post("我要找記者爆料", minutes_ago=120, reach=100_000)
    services.recompute(low)
    services.recompute(high)
    client = client_for("pr")
    assert [i["row"].case_id for i in client.get(RISK, {"min": "50"}).context["items"]] == [high.pk]
    response = client.get(RISK, {"min": "lots"})
    assert len(response.context["items"]) == 2
    assert _flash(response) == ["The lowest score is a whole number from 0 to 100; showing every score."]


def test_the_risk_list_is_scoped_and_takes_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], post: Callable[..., Case], company: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    for i in range(3):
        services.recompute(post(f"客服 {i}", minutes_ago=10 + i, department=company["cs"]))
    services.recompute(post("物流", minutes_ago=5, department=company["logistics"]))
    client = client_for("agent")
    client.get(RISK)
    with django_assert_num_queries(7):
        response = client.get(RISK)
    assert len(response.context["items"]) == 3
    for i in range(3):
        services.recompute(post(f"更多 {i}", minutes_ago=20 + i, department=company["cs"]))
    with django_assert_num_queries(7):
        assert len(client.get(RISK).context["items"]) == 6


def test_the_risk_list_leaves_as_xlsx(client_for: Callable[[str], Client], post: Callable[..., Case]) -> None:
    services.recompute(post("我要找記者爆料", minutes_ago=30, reach=100_000))
    response = client_for("manager").get(RISK, {"format": "xlsx"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Case", "Subject", "Viral risk")
    assert rows[1][2] == 46
