"""The personal-safety lane: flagged from the customer's words or by an agent, S1 at once,
a 15-minute first response around the clock, and the 品保 head and executives told now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import safety as case_safety
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.org.models import Membership
from tingjian.org.tests.factories import DepartmentFactory, make_user
from tingjian.sla import timers
from tingjian.sla.models import Clock
from tingjian.sla.services import sla_settings

# Sunday 22 November 2026, 23:30 in Taipei: nobody is in the office.
NIGHT = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)
FOOD_POISONING = "昨天吃了你們的便當，全家食物中毒，上吐下瀉，現在在急診。"


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def food_safety_head(company: dict[str, Any], users: dict[str, Any]) -> Any:
    qa_dept = DepartmentFactory(code="food-safety", name_zh_hant="品保食安", name_zh_hans="品保食安", name_en="Food safety")
    head = make_user("fs-head", "staff", departments=(qa_dept,))
    Membership.objects.filter(user=head).update(is_head=True)
    row = sla_settings()
    row.safety_department = qa_dept
    row.save()
    return head


def test_food_poisoning_on_line_becomes_s1_with_a_15_minute_clock_and_alerts_executives_at_once(
    traveller: Any, food_safety_head: Any, open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    case = open_case(channel="line", body=FOOD_POISONING, subject="便當", department=company["cs"])
    case.refresh_from_db()
    assert case.safety and case.severity == 1
    first = Clock.objects.get(case=case, kind="first_response")
    assert first.due_at == NIGHT + timedelta(minutes=15)

    for person in (users["executive"], food_safety_head):
        alert = Notification.objects.get(recipient=person, kind="sla.safety")
        assert alert.urgent and alert.requires_ack
        assert case.number in alert.text and "食物中毒" in alert.text
    # Nothing had to climb: no timer ran, the executives know now.
    assert not Notification.objects.filter(kind="sla.escalation").exists()


def test_an_email_about_a_burn_at_night_is_not_left_for_office_hours(
    traveller: Any, open_case: Callable[..., Case], company: dict[str, Any]
) -> None:
    case = open_case(channel="email", body="My child got a burn from the hot pot lid, we went to hospital.")
    first = Clock.objects.get(case=case, kind="first_response")
    assert not first.business_hours
    assert first.due_at == NIGHT + timedelta(minutes=15)


def test_safety_breach_tells_the_executives_without_climbing(
    traveller: Any, food_safety_head: Any, open_case: Callable[..., Case], company: dict[str, Any],
    users: dict[str, Any],
) -> None:
    open_case(channel="line", body=FOOD_POISONING, department=company["cs"], assignee=users["agent"])
    traveller.move_to(NIGHT + timedelta(minutes=15))
    timers.sweep()
    for person in (users["agent"], users["executive"], food_safety_head):
        breach = Notification.objects.get(recipient=person, kind="sla.breach")
        assert breach.urgent


def test_a_later_matching_message_does_not_alert_again(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(channel="line", body=FOOD_POISONING)
    case_services.record_customer_message(case, body="還在急診，拉肚子沒停", by=None)
    assert Notification.objects.filter(recipient=users["executive"], kind="sla.safety").count() == 1


def test_an_ordinary_complaint_is_not_flagged(traveller: Any, open_case: Callable[..., Case]) -> None:
    case = open_case(channel="line", body="外送慢了一個小時，湯都冷了。", severity=3)
    case.refresh_from_db()
    assert not case.safety and case.severity == 3


def test_an_agent_flagging_safety_raises_s1_and_alerts(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(severity=3)
    case_services.update_case(case, by=users["agent"], fields={"safety": True})
    case.refresh_from_db()
    assert case.severity == 1
    assert Notification.objects.filter(recipient=users["executive"], kind="sla.safety").exists()
    assert Clock.objects.get(case=case, kind="first_response", met_at=None).due_at == NIGHT + timedelta(minutes=15)


def test_an_agent_cannot_remove_the_safety_flag_or_lower_s1(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(channel="line", body=FOOD_POISONING)
    with pytest.raises(PermissionDenied):
        case_services.update_case(case, by=users["agent"], fields={"safety": False, "severity": 3},
                                  reason="Not a safety case at all, really.")
    with pytest.raises(PermissionDenied):
        case_services.update_case(case, by=users["agent"], fields={"severity": 2})
    case.refresh_from_db()
    assert case.safety and case.severity == 1


def test_a_manager_removes_the_flag_only_with_a_reason_and_it_is_audited(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(channel="line", body=FOOD_POISONING)
    with pytest.raises(ValidationError) as refused:
        case_services.update_case(case, by=users["manager"], fields={"safety": False, "severity": 3})
    assert "reason" in refused.value.message_dict
    case.refresh_from_db()
    assert case.safety

    why = "顧客來電更正：是外送延遲，並非食物中毒。"
    case_services.update_case(case, by=users["manager"], fields={"safety": False, "severity": 3}, reason=why)
    case.refresh_from_db()
    assert not case.safety and case.severity == 3
    event = AuditEvent.objects.filter(action="case.changed", object_id=str(case.pk)).latest("id")
    assert event.reason == why and event.before["safety"] is True
    assert Notification.objects.filter(recipient=users["executive"], kind="sla.safety_downgrade").exists()
    # The first-response target follows the new severity.
    assert Clock.objects.get(case=case, kind="first_response", met_at=None).target_seconds == 240 * 60


def test_an_agent_asks_a_manager_to_remove_the_flag(
    traveller: Any, open_case: Callable[..., Case], users: dict[str, Any]
) -> None:
    case = open_case(channel="line", body=FOOD_POISONING)
    with pytest.raises(ValidationError):
        case_safety.request_safety_downgrade(case, by=users["agent"], reason="no")
    case_safety.request_safety_downgrade(case, by=users["agent"], reason="顧客說明只是延遲，沒有人不舒服。")
    ask = Notification.objects.get(recipient=users["manager"], kind="sla.safety_downgrade")
    assert ask.requires_ack and case.number in ask.text
    case.refresh_from_db()
    assert case.safety  # asking changes nothing
