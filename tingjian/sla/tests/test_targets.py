"""The administrators' SLA rules: targets and settings are validated whole, refused
changes leave everything as it was, every change is audited, and only administrators may."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from tingjian.audit.models import AuditEvent
from tingjian.cases.models import Case
from tingjian.sla import targets
from tingjian.sla.models import Clock, SlaSettings, Target
from tingjian.sla.selectors import current_settings

pytestmark = pytest.mark.django_db

# A shape the default targets (loaded by a migration) do not have.
NEW = {"kind": "first_response", "severity": 2, "channel": "line", "minutes": 30}


def snapshot() -> list[tuple[Any, ...]]:
    return list(Target.objects.order_by("pk").values_list(
        "kind", "stage", "severity", "channel", "category_id", "minutes", "business_hours"
    ))


def refused(users: dict[str, Any], **values: Any) -> dict[str, list[str]]:
    """Try a new target as the administrator; it must be refused with nothing saved."""
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        targets.save_target(by=users["admin"], **values)
    assert snapshot() == before
    return caught.value.message_dict


def test_an_administrator_adds_a_target_and_it_is_audited(users: dict[str, Any]) -> None:
    target = targets.save_target(by=users["admin"], **NEW)
    assert (target.kind, target.severity, target.channel, target.minutes) == ("first_response", 2, "line", 30)
    event = AuditEvent.objects.get(action="sla.target_created", object_id=str(target.pk))
    assert event.actor_id == users["admin"].pk
    assert event.after["minutes"] == 30


@pytest.mark.parametrize("minutes", [0, -5, "", None, "soon"])
def test_a_target_of_zero_or_negative_minutes_is_refused(users: dict[str, Any], minutes: Any) -> None:
    errors = refused(users, **{**NEW, "minutes": minutes})
    assert set(errors) == {"minutes"}


def test_a_stage_target_needs_a_stage_with_a_clock(users: dict[str, Any]) -> None:
    assert "stage" in refused(users, kind="stage", minutes=60)
    assert "stage" in refused(users, kind="stage", stage="closed", minutes=60)
    assert "stage" in refused(users, kind="stage", stage="nowhere", minutes=60)
    assert "stage" in refused(users, kind="resolution", stage="qa", severity=3, channel="line", minutes=60)
    target = targets.save_target(by=users["admin"], kind="stage", stage="qa", severity=2, minutes=600)
    assert target.stage == "qa"


def test_severity_channel_and_category_are_checked(users: dict[str, Any], company: dict[str, Any]) -> None:
    assert "severity" in refused(users, **{**NEW, "severity": 5})
    assert "channel" in refused(users, **{**NEW, "channel": "fax"})
    # A target on a category group would never match: a case always has a leaf category.
    assert "category" in refused(users, **{**NEW, "category": company["category"].parent})
    assert "category" in refused(users, **{**NEW, "category": 999_999})
    target = targets.save_target(by=users["admin"], **{**NEW, "category": company["category"].pk})
    assert target.category == company["category"]


def test_every_problem_is_reported_at_once(users: dict[str, Any]) -> None:
    errors = refused(users, kind="stage", severity=9, channel="fax", minutes=0)
    assert {"stage", "severity", "channel", "minutes"} <= set(errors)


def test_a_duplicate_target_is_refused(users: dict[str, Any]) -> None:
    # The defaults already have: first response, S2, any channel, any category.
    errors = refused(users, kind="first_response", severity=2, minutes=45)
    assert NON_FIELD_ERRORS in errors
    targets.save_target(by=users["admin"], **NEW)
    assert NON_FIELD_ERRORS in refused(users, **{**NEW, "minutes": 90, "business_hours": True})


def test_editing_a_target_is_audited_with_before_and_after(users: dict[str, Any]) -> None:
    target = Target.objects.get(kind="first_response", severity=2, channel="", category=None)
    saved = targets.save_target(by=users["admin"], target=target, minutes=45)
    assert saved.pk == target.pk and saved.minutes == 45
    event = AuditEvent.objects.get(action="sla.target_changed", object_id=str(target.pk))
    assert (event.before["minutes"], event.after["minutes"]) == (60, 45)


def test_editing_a_target_into_the_shape_of_another_is_refused(users: dict[str, Any]) -> None:
    s2 = Target.objects.get(kind="first_response", severity=2, channel="", category=None)
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        targets.save_target(by=users["admin"], target=s2, severity=3)
    assert NON_FIELD_ERRORS in caught.value.message_dict
    assert snapshot() == before
    s2.refresh_from_db()
    assert s2.severity == 2


def test_a_changed_target_applies_to_clocks_started_afterwards(
    users: dict[str, Any], open_case: Callable[..., Case]
) -> None:
    earlier = open_case(severity=2)
    target = Target.objects.get(kind="first_response", severity=2, channel="", category=None)
    targets.save_target(by=users["admin"], target=target, minutes=30)
    later = open_case(severity=2, subject="第二件")
    assert Clock.objects.get(case=earlier, kind="first_response").target_seconds == 60 * 60
    assert Clock.objects.get(case=later, kind="first_response").target_seconds == 30 * 60


def test_deleting_a_target_keeps_the_clocks_that_ran_to_it(
    users: dict[str, Any], open_case: Callable[..., Case]
) -> None:
    case = open_case(severity=2)
    target = Target.objects.get(kind="first_response", severity=2, channel="", category=None)
    target_id = target.pk
    targets.delete_target(target, by=users["admin"])
    assert not Target.objects.filter(pk=target_id).exists()
    assert Clock.objects.get(case=case, kind="first_response").target_seconds == 60 * 60
    event = AuditEvent.objects.get(action="sla.target_deleted", object_id=str(target_id))
    assert event.before["severity"] == 2


@pytest.mark.parametrize("role", ["agent", "manager", "executive", "qa"])
def test_only_administrators_change_targets(users: dict[str, Any], role: str) -> None:
    target = Target.objects.first()
    assert target is not None
    with pytest.raises(PermissionDenied):
        targets.save_target(by=users[role], **NEW)
    with pytest.raises(PermissionDenied):
        targets.save_target(by=users[role], target=target, minutes=1)
    with pytest.raises(PermissionDenied):
        targets.delete_target(target, by=users[role])
    with pytest.raises(PermissionDenied):
        targets.update_settings(by=users[role], reminder_percent=50)
    assert not AuditEvent.objects.filter(action__startswith="sla.target").exists()


def test_settings_change_is_validated_and_audited(users: dict[str, Any], company: dict[str, Any]) -> None:
    row = targets.update_settings(
        by=users["admin"], reminder_percent=60, pause_on=["third_party", "customer"],
        safety_department=company["logistics"].pk, executive_after_minutes=90,
    )
    assert row.reminder_percent == 60
    assert row.pause_on == ["customer", "third_party"]
    assert row.safety_department == company["logistics"]
    assert row.updated_by == users["admin"]
    event = AuditEvent.objects.get(action="sla.settings_changed")
    assert event.before["reminder_percent"] == 75 and event.after["reminder_percent"] == 60
    assert event.after["safety_department"] == "logistics"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"reminder_percent": 0}, "reminder_percent"),
        ({"reminder_percent": 100}, "reminder_percent"),
        ({"team_lead_after_minutes": 0}, "team_lead_after_minutes"),
        ({"department_head_after_minutes": -1}, "department_head_after_minutes"),
        ({"executive_after_minutes": "later"}, "executive_after_minutes"),
        ({"safety_first_response_minutes": 0}, "safety_first_response_minutes"),
        ({"pause_on": ["holidays"]}, "pause_on"),
        ({"safety_department": 999_999}, "safety_department"),
    ],
)
def test_wrong_settings_are_refused_and_nothing_changes(
    users: dict[str, Any], values: dict[str, Any], field: str
) -> None:
    def state() -> tuple[Any, ...]:
        row = SlaSettings.objects.get(pk=current_settings().pk)
        return (
            row.reminder_percent, row.pause_on, row.safety_department_id, row.safety_first_response_minutes,
            row.team_lead_after_minutes, row.department_head_after_minutes, row.executive_after_minutes,
        )

    before = state()
    with pytest.raises(ValidationError) as caught:
        # A right value beside the wrong one is not saved either.
        targets.update_settings(by=users["admin"], **{"pause_on": ["third_party"], **values})
    assert field in caught.value.message_dict
    assert state() == before
    assert not AuditEvent.objects.filter(action="sla.settings_changed").exists()
