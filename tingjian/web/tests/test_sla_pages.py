"""The SLA pages: badges with their countdown, the case page's clocks (waiting, safety
reasons, acknowledging) and the at-risk and escalation boards; the editors are in test_sla_editors.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case, ChannelKind, Stage
from tingjian.cases.models.case import WaitingOn
from tingjian.org.tests.factories import make_user
from tingjian.sla import selectors as sla_selectors
from tingjian.sla import targets, timers
from tingjian.sla.models import Clock

pytestmark = pytest.mark.django_db

# Monday 23 November 2026, 09:00 in Taipei.
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
REASON = "顧客只是抱怨湯冷，沒有人受傷，不屬於人身安全的案件。"

AT_RISK = reverse("web:sla-at-risk")
ESCALATIONS = reverse("web:sla-escalations")


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _url(case: Case, name: str = "case-detail", *args: Any) -> str:
    return reverse(f"web:{name}", args=[case.number, *args])


def _open_clocks(case: Case) -> dict[str, Clock]:
    return {clock.kind: clock for clock in Clock.objects.open().filter(case=case)}


@pytest.fixture
def cs_case(traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> Case:
    """Customer service's S2 phone case, handled by the agent: first response within 60 min."""
    return open_case(severity=2, department=company["cs"], assignee=users["agent"], subject="客服的案件")


@pytest.fixture
def logistics_case(traveller: Any, open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> Case:
    """Logistics' case, opened by a manager: outside the agent's scope."""
    return open_case(
        by=users["manager"], severity=3, department=company["logistics"], assignee=users["agent2"],
        subject="物流的案件",
    )


def breach(traveller: Any, minutes: int = 61) -> None:
    traveller.move_to(NOW + minutes * MINUTE)
    timers.sweep()


# ------------------------------------------------------------------------ drift guards


def test_the_channel_stage_and_waiting_values_sla_copies_match_the_case_model() -> None:
    assert tuple(ChannelKind.values) == targets.CHANNELS
    assert tuple(stage for stage in Stage.values if stage != Stage.CLOSED) == targets.STAGES
    assert tuple(value for value in WaitingOn.values if value) == targets.WAITING_ON


# --------------------------------------------------------------------------- badges


def test_the_case_list_shows_each_cases_most_urgent_clock_as_a_live_badge(
    client_for: Callable[[str], Client], cs_case: Case
) -> None:
    page = client_for("agent").get(reverse("web:case-list")).content.decode()
    first_response = _open_clocks(cs_case)["first_response"]
    assert 'class="sla sla-green"' in page
    assert 'data-due="2026-11-23T02:00:00Z"' in page  # the first response, due in 60 minutes
    assert f'datetime="{first_response.due_at:%Y-%m-%dT%H:%M:%SZ}"' in page
    assert "1 h 00 min left" in page
    # The script's wording comes from the page, translated; the script is a file (CSP).
    assert 'data-left="{time} left"' in page and 'data-overdue="overdue {time}"' in page
    assert "web/sla-countdown.js" in page and "<script>" not in page


def test_an_overdue_clock_shows_red_and_how_long_ago(
    client_for: Callable[[str], Client], cs_case: Case, traveller: Any
) -> None:
    breach(traveller, 67)
    page = client_for("agent").get(reverse("web:case-list")).content.decode()
    assert "sla sla-breached" in page
    assert "overdue 7 min" in page


def test_a_paused_clock_shows_paused_without_a_countdown(
    client_for: Callable[[str], Client], cs_case: Case, users: dict[str, Any]
) -> None:
    case_services.record_reply(cs_case, body="您好，已收到。", by=users["agent"])
    case_services.update_case(cs_case, by=users["agent"], fields={"waiting_on": "customer"})
    page = client_for("agent").get(reverse("web:case-list")).content.decode()
    assert "sla sla-paused" in page
    assert "data-due" not in page


def test_the_most_urgent_clock_of_each_case_is_read_in_one_query(
    cs_case: Case, logistics_case: Case, users: dict[str, Any], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        urgent = sla_selectors.urgent_clock_by_case([cs_case.pk, logistics_case.pk])
    assert urgent[cs_case.pk].kind == "first_response"  # S2: 1 h, before the stage's 4 h
    assert urgent[logistics_case.pk].kind == "first_response"
    # Waiting on the customer pauses the resolution and stage clocks, not the first response.
    case_services.update_case(cs_case, by=users["agent"], fields={"waiting_on": "customer"})
    case_services.record_reply(cs_case, body="您好，已收到。", by=users["agent"])
    urgent = sla_selectors.urgent_clock_by_case([cs_case.pk])
    # Nothing of it runs now: a paused clock is shown, after every running one would have been.
    assert urgent[cs_case.pk].is_paused
    assert sla_selectors.urgent_clock_by_case([]) == {}


def test_the_countdown_script_is_served() -> None:
    path = finders.find("web/sla-countdown.js")
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    assert "data-due" in text and "htmx:afterSwap" in text


# ----------------------------------------------------------------------- the case page


def test_the_case_page_lists_every_clock_with_its_target_and_due_time(
    client_for: Callable[[str], Client], cs_case: Case
) -> None:
    page = client_for("agent").get(_url(cs_case)).content.decode()
    assert "Service levels" in page
    for label in ("First response", "Resolution", "Time in stage: Intake"):
        assert label in page
    assert "1 h · 24/7" in page  # the S2 first-response target
    assert "2026-11-23 10:00" in page  # due, in Taipei time


def test_an_alerted_user_acknowledges_the_clock_from_the_case_page(
    client_for: Callable[[str], Client], cs_case: Case, traveller: Any, users: dict[str, Any]
) -> None:
    breach(traveller)
    clock = Clock.objects.get(case=cs_case, kind="first_response")
    alert = Notification.objects.get(recipient=users["agent"], topic=f"sla.clock:{clock.pk}")
    agent = client_for("agent")
    acknowledge = _url(cs_case, "case-clock-acknowledge", clock.pk)
    assert acknowledge in agent.get(_url(cs_case)).content.decode()
    # Nobody else was alerted: no button for them, and posting acknowledges nothing.
    assert acknowledge not in client_for("manager").get(_url(cs_case)).content.decode()
    client_for("manager").post(acknowledge)
    clock.refresh_from_db()
    assert clock.acknowledged_at is None

    response = agent.post(acknowledge, follow=True)
    assert "Acknowledged" in response.content.decode()
    clock.refresh_from_db()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert (clock.acknowledged_by, clock.acknowledged_at) == (users["agent"], NOW + 61 * MINUTE)
    page = agent.get(_url(cs_case)).content.decode()
    assert acknowledge not in page
    assert "Acknowledged" in page


def test_a_clock_of_another_case_cannot_be_acknowledged_through_this_one(
    client_for: Callable[[str], Client], cs_case: Case, logistics_case: Case
) -> None:
    other = Clock.objects.filter(case=logistics_case).first()
    assert other is not None
    assert client_for("agent").post(_url(cs_case, "case-clock-acknowledge", other.pk)).status_code == 404
    # And a case outside the agent's scope does not exist for them at all.
    assert client_for("agent").post(_url(logistics_case, "case-clock-acknowledge", other.pk)).status_code == 404


def test_waiting_on_the_customer_pauses_the_resolution_clock(
    client_for: Callable[[str], Client], cs_case: Case
) -> None:
    agent = client_for("agent")
    response = agent.post(_url(cs_case, "case-waiting"), {"waiting_on": "customer"}, follow=True)
    page = response.content.decode()
    assert "Waiting on: Waiting for the customer." in page
    cs_case.refresh_from_db()
    assert cs_case.waiting_on == "customer"
    clocks = _open_clocks(cs_case)
    assert clocks["resolution"].running_since is None
    assert clocks["first_response"].running_since is not None  # we still owe an answer

    agent.post(_url(cs_case, "case-waiting"), {"waiting_on": ""})
    assert _open_clocks(cs_case)["resolution"].running_since is not None


def test_a_wrong_waiting_value_changes_nothing(client_for: Callable[[str], Client], cs_case: Case) -> None:
    response = client_for("agent").post(_url(cs_case, "case-waiting"), {"waiting_on": "the moon"}, follow=True)
    assert "Unknown choice" in response.content.decode()
    cs_case.refresh_from_db()
    assert cs_case.waiting_on == ""


def test_a_manager_removes_the_safety_flag_only_with_a_reason(
    client_for: Callable[[str], Client], open_case: Callable[..., Case]
) -> None:
    case = open_case(safety=True)
    manager = client_for("manager")
    page = manager.get(_url(case)).content.decode()
    assert 'class="downgrade-reason on-unflag on-lower"' in page
    response = manager.post(_url(case, "case-update"), {"severity": "2"})
    assert response.status_code == 422
    assert "reason" in response.context["edit_form"].errors
    assert 'downgrade-reason on-unflag on-lower shown' in response.content.decode()
    case.refresh_from_db()
    assert (case.safety, case.severity) == (True, 1)

    response = manager.post(_url(case, "case-update"), {"severity": "2", "reason": REASON})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.safety, case.severity) == (False, 2)
    assert AuditEvent.objects.filter(action="case.changed", object_id=str(case.pk), reason=REASON).exists()


def test_an_agent_may_not_remove_the_flag_but_may_ask_a_manager(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(safety=True)
    agent = client_for("agent")
    page = agent.get(_url(case)).content.decode()
    assert "Ask a manager to remove the safety flag" in page
    assert 'name="reason"' in page and "downgrade-reason" not in page

    response = agent.post(_url(case, "case-update"), {"severity": "2"})
    assert response.status_code == 422
    assert "needs a manager" in response.content.decode()
    case.refresh_from_db()
    assert case.safety

    response = agent.post(_url(case, "case-safety-request"), {"reason": "太短"})
    assert response.status_code == 422
    assert response.context["safety_request_form"].errors
    assert not Notification.objects.filter(recipient=users["manager"], kind="sla.safety_downgrade").exists()

    response = agent.post(_url(case, "case-safety-request"), {"reason": REASON}, follow=True)
    assert "The managers were asked" in response.content.decode()
    assert Notification.objects.filter(recipient=users["manager"], kind="sla.safety_downgrade").exists()
    case.refresh_from_db()
    assert case.safety


# ------------------------------------------------------------------------------ at risk


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "manager", "executive", "admin"])
def test_every_role_that_sees_clocks_sees_the_at_risk_board(
    client_for: Callable[[str], Client], cs_case: Case, role: str
) -> None:
    response = client_for(role).get(AT_RISK)
    assert response.status_code == 200
    assert cs_case.number in response.content.decode()
    assert f'href="{AT_RISK}"' in response.content.decode()  # the nav link


def test_someone_without_sla_clocks_is_refused_the_boards(company: dict[str, Any]) -> None:
    client = Client()
    client.force_login(make_user("visitor"))
    assert client.get(AT_RISK).status_code == 403
    assert client.get(ESCALATIONS).status_code == 403
    assert f'href="{AT_RISK}"' not in client.get(reverse("web:notifications")).content.decode()


def test_a_scoped_agent_never_sees_a_clock_of_a_case_outside_their_scope(
    client_for: Callable[[str], Client], cs_case: Case, logistics_case: Case
) -> None:
    for query in ({}, {"department": "logistics"}, {"severity": "3"}, {"kind": "resolution"}):
        response = client_for("agent").get(AT_RISK, query)
        page = response.content.decode()
        assert logistics_case.number not in page
        assert all(badge.clock.case_id != logistics_case.pk for badge in response.context["rows"])
    manager_page = client_for("manager").get(AT_RISK).content.decode()
    assert logistics_case.number in manager_page and cs_case.number in manager_page


def test_the_board_lists_running_clocks_soonest_due_first_overdue_on_top(
    client_for: Callable[[str], Client], cs_case: Case, logistics_case: Case, traveller: Any
) -> None:
    breach(traveller)
    rows = client_for("manager").get(AT_RISK).context["rows"]
    due = [badge.clock.due_at for badge in rows]
    assert due == sorted(due)
    top = rows[0]
    assert (top.clock.case_id, top.clock.kind, top.state) == (cs_case.pk, "first_response", "breached")
    assert all(badge.clock.running_since is not None and badge.clock.is_open for badge in rows)


def test_the_board_filters_by_clock_department_severity_and_mine(
    client_for: Callable[[str], Client], cs_case: Case, logistics_case: Case
) -> None:
    manager = client_for("manager")

    def cases_of(query: dict[str, str]) -> set[int]:
        return {badge.clock.case_id for badge in manager.get(AT_RISK, query).context["rows"]}

    def kinds_of(query: dict[str, str]) -> set[str]:
        return {badge.clock.kind for badge in manager.get(AT_RISK, query).context["rows"]}

    assert kinds_of({"kind": "resolution"}) == {"resolution"}
    assert cases_of({"department": "logistics"}) == {logistics_case.pk}
    assert cases_of({"severity": "2"}) == {cs_case.pk}
    assert cases_of({"mine": "on"}) == set()  # the manager handles neither
    agent2 = client_for("agent2")
    assert {b.clock.case_id for b in agent2.get(AT_RISK, {"mine": "on"}).context["rows"]} == {logistics_case.pk}


def test_a_paused_clock_is_not_at_risk(client_for: Callable[[str], Client], cs_case: Case, users: dict[str, Any]) -> None:
    case_services.update_case(cs_case, by=users["agent"], fields={"waiting_on": "customer"})
    kinds = {badge.clock.kind for badge in client_for("agent").get(AT_RISK).context["rows"]}
    assert "resolution" not in kinds and "first_response" in kinds


def test_bad_filters_are_reported_and_ignored(client_for: Callable[[str], Client], cs_case: Case) -> None:
    response = client_for("agent").get(AT_RISK, {"kind": "coffee", "severity": "9", "page": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert cs_case.number in response.content.decode()


def test_htmx_filtering_gets_only_the_results(client_for: Callable[[str], Client], cs_case: Case) -> None:
    page = client_for("agent").get(AT_RISK, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page and "<table" in page


# Session, user, two permission reads, the department choices, count, page, whatever the
# number of clocks; plus the reader's departments for a scoped agent, and the roles (for the
# escalations tab) for a manager.
AT_RISK_QUERIES = {"agent": 8, "manager": 8}


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_the_at_risk_board_takes_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any], traveller: Any, django_assert_num_queries: Any, role: str,
) -> None:
    def make(n: int) -> None:
        for i in range(n):
            open_case(severity=2, department=company["cs"], assignee=users["agent"], subject=f"案件 {i}")

    make(2)
    client = client_for(role)
    client.get(AT_RISK)  # warm the session
    with django_assert_num_queries(AT_RISK_QUERIES[role]):
        response = client.get(AT_RISK, {"severity": "2"})
    assert len(response.context["rows"]) == 6
    make(12)
    with django_assert_num_queries(AT_RISK_QUERIES[role]):
        response = client.get(AT_RISK, {"severity": "2"})
    assert len(response.context["rows"]) == 25
    assert response.context["page"].paginator.count == 42


# ---------------------------------------------------------------------------- escalations


@pytest.mark.parametrize("role", ["manager", "executive", "admin"])
def test_managers_executives_and_administrators_see_the_escalations(
    client_for: Callable[[str], Client], cs_case: Case, traveller: Any, role: str
) -> None:
    breach(traveller)
    client = client_for(role)
    response = client.get(ESCALATIONS)
    assert response.status_code == 200
    assert cs_case.number in response.content.decode()
    assert f'href="{ESCALATIONS}"' in client.get(reverse("web:case-list")).content.decode()


@pytest.mark.parametrize("role", ["agent", "staff", "qa"])
def test_other_roles_are_refused_the_escalations(client_for: Callable[[str], Client], role: str) -> None:
    client = client_for(role)
    assert client.get(ESCALATIONS).status_code == 403
    assert f'href="{ESCALATIONS}"' not in client.get(reverse("web:case-list")).content.decode()


def test_the_escalations_show_who_was_told_and_who_acknowledged(
    client_for: Callable[[str], Client], cs_case: Case, logistics_case: Case, traveller: Any,
    users: dict[str, Any],
) -> None:
    breach(traveller, 245)  # both first responses are breached (S2 60 min, S3 240 min)
    response = client_for("manager").get(ESCALATIONS)
    rows = response.context["rows"]
    breaches = [row["badge"].clock.breached_at for row in rows]
    assert breaches == sorted(breaches)  # the oldest breach first
    assert (rows[0]["badge"].clock.case_id, rows[0]["badge"].clock.kind) == (cs_case.pk, "first_response")
    assert logistics_case.pk in {row["badge"].clock.case_id for row in rows}
    # The handler at the breach; with no team lead or department head, the executives next.
    assert [(t.person, t.acknowledged_at) for t in rows[0]["told"]] == [(users["agent"], None), (users["executive"], None)]
    assert "not acknowledged" in response.content.decode()

    clock = rows[0]["badge"].clock
    timers.acknowledge_clock_alerts(clock, by=users["agent"])
    response = client_for("manager").get(ESCALATIONS)
    row = next(row for row in response.context["rows"] if row["badge"].clock.pk == clock.pk)
    assert row["told"][0].acknowledged_at == NOW + 245 * MINUTE
    assert "Taken by agent" in response.content.decode()

    traveller.move_to(NOW + 245 * MINUTE + timedelta(hours=25))
    ids = [row["badge"].clock.pk for row in client_for("manager").get(ESCALATIONS).context["rows"]]
    assert clock.pk not in ids  # acknowledged more than a day ago: off the board


# Session, user, two permission reads, the roles, count, page, the alerts of the page's clocks.
ESCALATION_QUERIES = 8


def test_the_escalations_take_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any], traveller: Any, django_assert_num_queries: Any,
) -> None:
    for i in range(3):
        open_case(severity=2, department=company["cs"], assignee=users["agent"], subject=f"案件 {i}")
    breach(traveller)
    manager = client_for("manager")
    manager.get(ESCALATIONS)
    with django_assert_num_queries(ESCALATION_QUERIES):
        response = manager.get(ESCALATIONS)
    assert len(response.context["rows"]) == 3
    for i in range(30):
        open_case(severity=2, department=company["cs"], assignee=users["agent"], subject=f"之後 {i}")
    breach(traveller, 200)
    with django_assert_num_queries(ESCALATION_QUERIES):
        response = manager.get(ESCALATIONS)
    assert len(response.context["rows"]) == 25
    assert all(row["told"] for row in response.context["rows"])


def test_the_timeline_tells_of_recomputed_clocks_in_the_readers_language(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    from django.conf import settings
    from django.utils import translation

    case = open_case(severity=3)
    case_services.update_case(case, by=users["agent"], fields={"severity": 2})
    client = client_for("agent")
    page = client.get(reverse("web:case-detail", args=[case.number])).content.decode()
    assert "Service-level clocks recomputed (severity)" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    with translation.override("zh-hant"):
        page = client.get(reverse("web:case-detail", args=[case.number])).content.decode()
    assert "時效已重新計算（severity）" in page
