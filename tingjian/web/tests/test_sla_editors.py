"""The administrators' SLA editors: targets, settings and business calendars (issue 4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tingjian.audit.models import AuditEvent
from tingjian.org.tests.factories import BranchFactory
from tingjian.sla import calendars as calendar_services
from tingjian.sla.models import BusinessCalendar, Holiday, OpeningHours, SlaSettings, Target

pytestmark = pytest.mark.django_db

TARGETS = reverse("web:sla-admin-targets")
CALENDARS = reverse("web:sla-admin-calendars")
SETTINGS = reverse("web:sla-admin-settings")


# ------------------------------------------------------------------- administrators' editors


def _admin_pages() -> list[str]:
    calendar = BusinessCalendar.objects.create(code="tw", name="Taiwan")
    target = Target.objects.first()
    assert target is not None
    return [
        reverse("web:sla-admin"), TARGETS, reverse("web:sla-admin-target", args=[target.pk]),
        CALENDARS, reverse("web:sla-admin-calendar", args=[calendar.pk]), SETTINGS,
    ]


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "manager", "executive"])
def test_only_administrators_open_the_sla_editors(
    client_for: Callable[[str], Client], role: str, users: dict[str, Any]
) -> None:
    client = client_for(role)
    for url in _admin_pages():
        assert client.get(url).status_code == 403, url
    target = Target.objects.first()
    assert target is not None
    assert client.post(reverse("web:sla-admin-target-delete", args=[target.pk])).status_code == 403
    assert client.post(SETTINGS, {"reminder_percent": "10"}).status_code == 403
    assert Target.objects.filter(pk=target.pk).exists()
    assert f'href="{reverse("web:sla-admin")}"' not in client.get(reverse("web:case-list")).content.decode()


def test_the_administrator_sees_every_editor_and_the_nav_link(client_for: Callable[[str], Client]) -> None:
    admin = client_for("admin")
    for url in _admin_pages():
        response = admin.get(url, follow=True)
        assert response.status_code == 200, url
    page = admin.get(TARGETS).content.decode()
    assert f'href="{reverse("web:sla-admin")}"' in page
    assert "applies to clocks started afterwards" in page
    assert "1 h" in page and "120 h" in page  # 60 and 7200 minutes


TARGET_FORM = {"kind": "first_response", "stage": "", "severity": "2", "channel": "line", "category": "",
               "hours": "0", "minutes": "30"}


def _targets() -> list[tuple[Any, ...]]:
    return list(Target.objects.order_by("pk").values_list("kind", "stage", "severity", "channel", "minutes"))


def test_an_administrator_adds_edits_and_deletes_a_target(client_for: Callable[[str], Client]) -> None:
    admin = client_for("admin")
    response = admin.post(reverse("web:sla-admin-target-new"), {**TARGET_FORM, "business_hours": "on"}, follow=True)
    assert "Target added" in response.content.decode()
    target = Target.objects.get(channel="line", severity=2, kind="first_response")
    assert (target.minutes, target.business_hours) == (30, True)

    response = admin.post(reverse("web:sla-admin-target", args=[target.pk]), {**TARGET_FORM, "hours": "1", "minutes": "15"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.minutes, target.business_hours) == (75, False)

    admin.post(reverse("web:sla-admin-target-delete", args=[target.pk]))
    assert not Target.objects.filter(pk=target.pk).exists()
    actions = list(AuditEvent.objects.filter(object_type="sla_target").values_list("action", flat=True))
    assert actions == ["sla.target_created", "sla.target_changed", "sla.target_deleted"]


def test_a_zero_target_is_shown_as_an_error_and_nothing_changes(client_for: Callable[[str], Client]) -> None:
    before = _targets()
    response = client_for("admin").post(reverse("web:sla-admin-target-new"), {**TARGET_FORM, "minutes": "0"})
    assert response.status_code == 422
    assert "longer than zero minutes" in response.content.decode()
    assert _targets() == before
    target = Target.objects.get(kind="first_response", severity=2, channel="", category=None)
    response = client_for("admin").post(
        reverse("web:sla-admin-target", args=[target.pk]), {**TARGET_FORM, "channel": "", "minutes": "0"}
    )
    assert response.status_code == 422
    assert _targets() == before


def test_a_duplicate_target_is_shown_as_an_error_and_nothing_changes(client_for: Callable[[str], Client]) -> None:
    before = _targets()
    response = client_for("admin").post(reverse("web:sla-admin-target-new"), {**TARGET_FORM, "channel": "", "minutes": "45"})
    assert response.status_code == 422
    assert "There is already a target" in response.content.decode()
    assert _targets() == before


def test_a_stage_target_without_a_stage_is_refused_beside_the_field(client_for: Callable[[str], Client]) -> None:
    response = client_for("admin").post(reverse("web:sla-admin-target-new"), {**TARGET_FORM, "kind": "stage"})
    assert response.status_code == 422
    assert "stage" in response.context["form"].errors


def test_the_settings_form_saves_and_refuses_wrong_values(
    client_for: Callable[[str], Client], company: dict[str, Any]
) -> None:
    admin = client_for("admin")
    assert admin.get(SETTINGS).status_code == 200
    values = {
        "reminder_percent": "80", "pause_on": ["customer", "third_party"], "safety_department": company["cs"].pk,
        "safety_first_response_minutes": "10", "team_lead_after_minutes": "20",
        "department_head_after_minutes": "40", "executive_after_minutes": "60",
    }
    response = admin.post(SETTINGS, {**values, "reminder_percent": "0", "executive_after_minutes": "0"})
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"reminder_percent", "executive_after_minutes"}
    assert SlaSettings.objects.get(pk=1).reminder_percent == 75

    assert admin.post(SETTINGS, values).status_code == 302
    row = SlaSettings.objects.get(pk=1)
    assert (row.reminder_percent, row.pause_on, row.safety_department_id, row.executive_after_minutes) == (
        80, ["customer", "third_party"], company["cs"].pk, 60
    )


# --------------------------------------------------------------------------------- calendars


@pytest.fixture
def calendar(users: dict[str, Any]) -> BusinessCalendar:
    calendar = calendar_services.create_calendar(code="tw-stores", name="Taiwan stores", time_zone="Asia/Taipei", by=None)
    calendar_services.set_opening_hours(
        calendar, [(day, time(9), time(18)) for day in range(5)], by=None,
    )
    return calendar


def _calendar_url(calendar: BusinessCalendar, name: str = "sla-admin-calendar") -> str:
    return reverse(f"web:{name}", args=[calendar.pk])


def _hours(calendar: BusinessCalendar) -> list[tuple[int, time, time]]:
    return list(OpeningHours.objects.filter(calendar=calendar).values_list("weekday", "opens", "closes"))


def test_an_administrator_creates_a_calendar(client_for: Callable[[str], Client]) -> None:
    admin = client_for("admin")
    response = admin.post(CALENDARS, {"code": "cn-stores", "name": "China stores", "time_zone": "Asia/Shanghai"})
    calendar = BusinessCalendar.objects.get(code="cn-stores")
    assert response["Location"] == _calendar_url(calendar)
    response = admin.post(CALENDARS, {"code": "mars", "name": "Mars", "time_zone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "is not a time zone" in response.content.decode()
    assert not BusinessCalendar.objects.filter(code="mars").exists()


def test_opening_hours_are_edited_as_a_week_of_intervals(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    admin = client_for("admin")
    page = admin.get(_calendar_url(calendar)).content.decode()
    assert 'name="d0_0_opens"' in page and 'value="09:00"' in page
    response = admin.post(_calendar_url(calendar, "sla-admin-calendar-hours"), {
        "d0_0_opens": "09:00", "d0_0_closes": "12:00", "d0_1_opens": "13:00", "d0_1_closes": "18:00",
        "d5_0_opens": "10:00", "d5_0_closes": "00:00",
    })
    assert response.status_code == 302
    assert _hours(calendar) == [(0, time(9), time(12)), (0, time(13), time(18)), (5, time(10), time(0))]


def test_overlapping_hours_are_shown_and_nothing_changes(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    before = _hours(calendar)
    response = client_for("admin").post(_calendar_url(calendar, "sla-admin-calendar-hours"), {
        "d0_0_opens": "09:00", "d0_0_closes": "12:00", "d0_1_opens": "11:00", "d0_1_closes": "18:00",
    })
    assert response.status_code == 422
    assert "overlaps" in response.content.decode()
    assert _hours(calendar) == before
    response = client_for("admin").post(_calendar_url(calendar, "sla-admin-calendar-hours"), {"d1_0_opens": "09:00"})
    assert response.status_code == 422
    assert "give both the opening and the closing time" in response.content.decode()
    assert _hours(calendar) == before


def test_a_holiday_is_added_and_removed_for_the_year_shown(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    admin = client_for("admin")
    url = _calendar_url(calendar, "sla-admin-calendar-holidays")
    response = admin.post(url, {"year": "2026", "date": "2026-12-25", "name": "行憲紀念日", "kind": "closed", "hours_of": "4"})
    assert response.status_code == 302
    assert list(Holiday.objects.filter(calendar=calendar).values_list("date", "year")) == [(date(2026, 12, 25), 2026)]
    page = admin.get(_calendar_url(calendar), {"year": "2026"}).content.decode()
    assert "行憲紀念日" in page
    admin.post(url, {"year": "2026", "remove": "2026-12-25"})
    assert not Holiday.objects.filter(calendar=calendar).exists()


def test_a_holiday_outside_the_year_is_shown_and_nothing_changes(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    response = client_for("admin").post(_calendar_url(calendar, "sla-admin-calendar-holidays"), {
        "year": "2026", "date": "2027-01-01", "name": "開國紀念日", "kind": "closed", "hours_of": "4",
    })
    assert response.status_code == 422
    assert "2027-01-01 is not in 2026." in response.content.decode()
    assert not Holiday.objects.filter(calendar=calendar).exists()


def test_a_csv_with_a_wrong_row_imports_nothing_and_lists_the_row(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    url = _calendar_url(calendar, "sla-admin-calendar-import")
    text = "date,name\n2026-01-01,開國紀念日\n2027-02-17,春節\n"
    response = client_for("admin").post(url, {"year": "2026", "text": text})
    assert response.status_code == 422
    assert "Row 3: 2027-02-17 is not in 2026." in response.content.decode()
    assert not Holiday.objects.filter(calendar=calendar).exists()

    response = client_for("admin").post(url, {"year": "2026", "text": text.replace("2027-02-17", "2026-02-17")}, follow=True)
    assert "Imported 2 holidays" in response.content.decode()
    assert Holiday.objects.filter(calendar=calendar, year=2026).count() == 2


def test_a_branch_is_made_to_follow_the_calendar(
    client_for: Callable[[str], Client], calendar: BusinessCalendar
) -> None:
    branch = BranchFactory(code="tpe-daan")
    response = client_for("admin").post(_calendar_url(calendar, "sla-admin-calendar-branch"), {"branch": branch.pk}, follow=True)
    assert "now follows Taiwan stores" in response.content.decode()
    assert calendar.branches.filter(branch=branch).exists()
