"""The reports pages: archive, one report with its PDF and exports, schedules, preview."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from tingjian.reports.models import Report, ReportStatus, Schedule

from .conftest import BASE

TAIPEI = ZoneInfo("Asia/Taipei")


def make_report(period_start: date = date(2026, 11, 16), cadence: str = "weekly", scope_key: str = "all") -> Report:
    data = copy.deepcopy(BASE)
    return Report.objects.create(
        cadence=cadence, period_start=period_start, period_end=period_start.replace(day=period_start.day + 6),
        scope="all", scope_key=scope_key, scope_label="台中店", language="en", status=ReportStatus.READY,
        requested_at=datetime(2026, 11, 23, tzinfo=TAIPEI), generated_at=datetime(2026, 11, 23, 8, 1, tzinfo=TAIPEI),
        data=data, html="<p>report</p>", pdf=b"%PDF-1.7 test",
    )


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["report-list", "report-preview", "report-schedules"])
def test_an_agent_may_not_open_the_reports_pages(users: dict[str, Any], name: str) -> None:
    assert client_for(users["agent"]).get(reverse(f"web:{name}")).status_code == 403


def test_an_agent_may_not_read_a_report_or_its_pdf(users: dict[str, Any]) -> None:
    report = make_report()
    client = client_for(users["agent"])
    assert client.get(reverse("web:report-detail", args=[report.pk])).status_code == 403
    assert client.get(reverse("web:report-pdf", args=[report.pk])).status_code == 403


def test_qa_reads_no_reports(users: dict[str, Any]) -> None:
    assert client_for(users["qa"]).get(reverse("web:report-list")).status_code == 403


def test_archive_lists_reports_with_a_fixed_number_of_queries(
    users: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    for day in (2, 9, 16):
        make_report(date(2026, 11, day))
    client = client_for(users["manager"])
    client.get(reverse("web:report-list"))  # warm the session and permission caches
    # session, user, permissions (2), scope filter's branches and departments, count, page
    with django_assert_num_queries(8):
        response = client.get(reverse("web:report-list"))
    assert response.status_code == 200
    assert response.content.decode().count("2026-11-") >= 6


def test_archive_filters_by_cadence(users: dict[str, Any]) -> None:
    make_report(date(2026, 11, 16))
    make_report(date(2026, 10, 1), cadence="monthly")
    page = client_for(users["manager"]).get(reverse("web:report-list"), {"cadence": "monthly"}).content.decode()
    assert "2026-10-01" in page and "2026-11-16" not in page


def test_archive_ignores_a_filter_it_does_not_understand(users: dict[str, Any]) -> None:
    make_report()
    response = client_for(users["manager"]).get(reverse("web:report-list"), {"cadence": "hourly", "scope": "x"})
    assert response.status_code == 200
    assert "2026-11-16" in response.content.decode()


def test_report_page_shows_the_narrative_charts_and_downloads(users: dict[str, Any]) -> None:
    report = make_report()
    page = client_for(users["executive"]).get(reverse("web:report-detail", args=[report.pk])).content.decode()
    assert "台中店: complaints +23 % week on week." in page
    assert 'class="chart chart-line"' in page
    assert reverse("web:report-pdf", args=[report.pk]) in page
    assert reverse("web:report-export", args=[report.pk, "kpis", "csv"]) in page
    assert 'href="/cases/C-2026-000001/"' in page  # in the app, links stay relative


def test_pdf_downloads_as_an_attachment(users: dict[str, Any]) -> None:
    report = make_report()
    response = client_for(users["manager"]).get(reverse("web:report-pdf", args=[report.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")


def test_each_table_exports_as_csv_and_xlsx(users: dict[str, Any]) -> None:
    report = make_report()
    client = client_for(users["manager"])
    csv = client.get(reverse("web:report-export", args=[report.pk, "categories", "csv"]))
    assert csv.status_code == 200
    assert "送餐延遲" in csv.content.decode("utf-8-sig")
    xlsx = client.get(reverse("web:report-export", args=[report.pk, "kpis", "xlsx"]))
    assert xlsx.content[:2] == b"PK"


def test_an_unknown_table_or_format_is_not_found(users: dict[str, Any]) -> None:
    report = make_report()
    client = client_for(users["manager"])
    assert client.get(reverse("web:report-export", args=[report.pk, "secrets", "csv"])).status_code == 404
    assert client.get(reverse("web:report-export", args=[report.pk, "kpis", "pdf"])).status_code == 404


def test_a_report_still_being_made_is_not_found(users: dict[str, Any]) -> None:
    report = make_report()
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.GENERATING)
    assert client_for(users["manager"]).get(reverse("web:report-detail", args=[report.pk])).status_code == 404


def test_manager_adds_a_schedule_for_a_branch(users: dict[str, Any], company: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(reverse("web:report-schedules"), {
        "recipient_user": users["executive"].pk, "cadence": "weekly", "scope": "branch",
        "branch": company["branch"].pk,
    })
    assert response.status_code == 302
    schedule = Schedule.objects.get()
    assert schedule.branch == company["branch"] and schedule.recipient_user == users["executive"]


def test_a_schedule_without_recipient_is_refused_with_a_message(users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(reverse("web:report-schedules"), {"cadence": "weekly", "scope": "all"})
    assert response.status_code == 422
    assert "Choose a person or enter an email address." in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_schedule_for_an_unknown_branch_is_refused_with_a_message(users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(reverse("web:report-schedules"), {
        "recipient_email": "boss@example.com", "cadence": "weekly", "scope": "branch", "branch": "424242",
    })
    assert response.status_code == 422
    assert "There is no active branch “424242”." in response.content.decode()
    assert not Schedule.objects.exists()


def test_a_duplicate_schedule_is_refused_with_a_message(users: dict[str, Any]) -> None:
    client = client_for(users["manager"])
    form = {"recipient_email": "boss@example.com", "cadence": "monthly", "scope": "all"}
    client.post(reverse("web:report-schedules"), form)
    response = client.post(reverse("web:report-schedules"), form)
    assert response.status_code == 422
    assert "This recipient already gets this report" in response.content.decode()
    assert Schedule.objects.count() == 1


def test_an_unknown_person_is_refused_with_a_message(users: dict[str, Any]) -> None:
    response = client_for(users["manager"]).post(reverse("web:report-schedules"), {
        "recipient_user": "999999", "cadence": "weekly", "scope": "all",
    })
    assert response.status_code == 422
    assert "There is no such person." in response.content.decode()


def test_manager_edits_and_stops_a_schedule(users: dict[str, Any]) -> None:
    client = client_for(users["manager"])
    client.post(reverse("web:report-schedules"), {"recipient_email": "boss@example.com", "cadence": "weekly", "scope": "all"})
    schedule = Schedule.objects.get()
    edit = reverse("web:report-schedule", args=[schedule.pk])
    assert client.get(edit).status_code == 200
    client.post(edit, {"recipient_email": "boss@example.com", "cadence": "monthly", "scope": "all"})
    client.post(reverse("web:report-schedule-deactivate", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.cadence == "monthly" and schedule.active is False


def test_stopping_a_schedule_needs_a_post(users: dict[str, Any]) -> None:
    client = client_for(users["manager"])
    client.post(reverse("web:report-schedules"), {"recipient_email": "boss@example.com", "cadence": "weekly", "scope": "all"})
    schedule = Schedule.objects.get()
    assert client.get(reverse("web:report-schedule-deactivate", args=[schedule.pk])).status_code == 405


def test_preview_of_a_future_period_is_refused_with_a_message(users: dict[str, Any], time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=TAIPEI))
    response = client_for(users["manager"]).get(reverse("web:report-preview"), {
        "cadence": "weekly", "period_start": "2027-01-05", "scope": "all",
    })
    assert response.status_code == 422
    assert "has not started yet" in response.content.decode()


def test_preview_shows_last_week_as_html(users: dict[str, Any], time_machine: Any) -> None:
    time_machine.move_to(datetime(2026, 11, 25, 10, 0, tzinfo=TAIPEI))
    response = client_for(users["manager"]).get(reverse("web:report-preview"), {"cadence": "weekly", "scope": "all"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2026-11-16 – 2026-11-22" in page
    assert "no cases were opened this week." in page
    assert not Report.objects.exists()  # a preview is neither stored nor sent
