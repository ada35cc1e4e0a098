"""Report schedules: who may change them, and bad input refused with clear words."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.audit.models import AuditEvent
from tingjian.reports import services
from tingjian.reports.models import Schedule


def messages(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_manager_schedules_a_weekly_report_for_a_branch(users: dict[str, Any], company: dict[str, Any]) -> None:
    schedule = services.save_schedule(
        by=users["manager"], recipient_user=users["executive"], cadence="weekly", scope="branch",
        branch=company["branch"],
    )
    assert schedule.scope_key == f"branch:{company['branch'].pk}"
    assert AuditEvent.objects.filter(action="reports.schedule_created", object_id=str(schedule.pk)).exists()


def test_agent_may_not_change_schedules(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.save_schedule(by=users["agent"], recipient_user=users["agent"], cadence="weekly")
    assert not Schedule.objects.exists()


def test_a_schedule_needs_a_recipient(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], cadence="weekly")
    assert messages(exc)["recipient_user"] == ["Choose a person or enter an email address."]
    assert not Schedule.objects.exists()


def test_a_bad_email_address_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], recipient_email="not-an-address", cadence="weekly")
    assert messages(exc)["recipient_email"] == ["Enter a valid email address."]


def test_a_person_without_an_email_address_is_refused(users: dict[str, Any]) -> None:
    users["qa"].email = ""
    users["qa"].save()
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], recipient_user=users["qa"], cadence="weekly")
    assert "no email address" in messages(exc)["recipient_user"][0]


def test_an_unknown_branch_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(
            by=users["manager"], recipient_user=users["manager"], cadence="weekly", scope="branch", branch=99999,
        )
    assert messages(exc)["branch"] == ["There is no active branch “99999”."]
    assert not Schedule.objects.exists()


def test_a_branch_scope_without_a_branch_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly", scope="branch")
    assert messages(exc)["branch"] == ["Choose a branch."]


def test_an_unknown_cadence_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="daily")
    assert messages(exc)["cadence"] == ["Choose weekly or monthly."]


def test_the_same_report_twice_for_one_recipient_is_refused(users: dict[str, Any]) -> None:
    services.save_schedule(by=users["manager"], recipient_email="boss@example.com", cadence="monthly")
    with pytest.raises(ValidationError) as exc:
        services.save_schedule(by=users["manager"], recipient_email="Boss@Example.com", cadence="monthly")
    assert messages(exc)["__all__"] == ["This recipient already gets this report; edit that schedule instead."]
    assert Schedule.objects.count() == 1


def test_a_stopped_schedule_can_be_made_again(users: dict[str, Any]) -> None:
    first = services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly")
    services.deactivate_schedule(first, by=users["manager"])
    again = services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly")
    assert again.active and again.pk != first.pk


def test_deactivating_is_audited_and_keeps_the_schedule(users: dict[str, Any]) -> None:
    schedule = services.save_schedule(by=users["manager"], recipient_user=users["manager"], cadence="weekly")
    services.deactivate_schedule(schedule, by=users["executive"])
    schedule.refresh_from_db()
    assert schedule.active is False
    assert AuditEvent.objects.filter(action="reports.schedule_deactivated", actor=users["executive"]).exists()


def test_scope_text_of_the_console(company: dict[str, Any]) -> None:
    assert services.parse_scope("all").key == "all"
    assert services.parse_scope("branch:tpe-xinyi").branch_id == company["branch"].pk
    with pytest.raises(ValidationError):
        services.parse_scope("region:north")
    with pytest.raises(ValidationError):
        services.parse_scope("department:nope")
