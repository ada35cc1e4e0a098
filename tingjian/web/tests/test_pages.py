"""Login, layout, the case list and the notifications page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tingjian.alerts.models import Notification
from tingjian.cases import services as case_services

pytestmark = pytest.mark.django_db

# Session, user, permissions, the four filter choice lists, count, page, stage counts, the
# page's SLA badges (one query): fixed, whatever the number of rows.
QUERY_LIMIT = 13


def test_pages_require_login(client: Client) -> None:
    response = client.get(reverse("web:case-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_root_redirects_to_case_list(agent_client: Client) -> None:
    response = agent_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:case-list")


def test_login_page_renders_and_logs_in(client: Client, users: dict[str, Any]) -> None:
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "agent", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:case-list")


def test_logout_is_a_post(agent_client: Client) -> None:
    response = agent_client.post(reverse("logout"))
    assert response.status_code == 302
    assert agent_client.get(reverse("web:case-list")).status_code == 302


def test_language_switch_changes_html_lang(agent_client: Client, settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hant"  # the product's default interface language
    page = agent_client.get(reverse("web:case-list")).content.decode()
    assert '<html lang="zh-hant">' in page
    assert "My departments" not in page  # translated
    agent_client.post(reverse("web:set-language"), {"language": "en", "next": "/cases/"})
    page = agent_client.get(reverse("web:case-list")).content.decode()
    assert '<html lang="en">' in page
    assert "My departments" in page


def test_language_can_be_switched_on_the_login_page(client: Client) -> None:
    response = client.post(reverse("web:set-language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


def test_no_inline_script_or_style(agent_client: Client, open_case: Any) -> None:
    case = open_case()
    for url in (reverse("web:case-list"), reverse("web:case-new"), reverse("web:case-detail", args=[case.number])):
        page = agent_client.get(url).content.decode()
        assert "<script>" not in page
        assert 'style="' not in page


def test_agent_of_another_department_neither_sees_nor_opens_the_case(
    client_for: Any, open_case: Any, company: dict[str, Any]
) -> None:
    case = open_case(department=company["cs"], subject="只給客服看的案件")
    other = client_for("agent2")
    assert other.get(reverse("web:case-detail", args=[case.number])).status_code == 404
    listing = other.get(reverse("web:case-list"), {"scope": "departments"}).content.decode()
    assert case.number not in listing
    listing = other.get(reverse("web:case-list"), {"scope": "all"}).content.decode()
    assert case.number not in listing
    assert client_for("agent").get(reverse("web:case-detail", args=[case.number])).status_code == 200


def test_all_scope_only_for_users_who_see_all(client_for: Any) -> None:
    assert "scope=all" not in client_for("agent").get(reverse("web:case-list")).content.decode()
    assert "scope=all" in client_for("manager").get(reverse("web:case-list")).content.decode()


def test_filters_and_paging(client_for: Any, open_case: Any, company: dict[str, Any]) -> None:
    for i in range(27):
        open_case(department=company["cs"], severity=3, subject=f"一般案件 {i}")
    urgent = open_case(department=company["cs"], safety=True, subject="食物中毒送醫")
    manager = client_for("manager")
    first = manager.get(reverse("web:case-list"), {"scope": "all"})
    assert "28" in first.content.decode()
    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 25
    second = manager.get(reverse("web:case-list"), {"scope": "all", "page": "2"})
    assert len(second.context["page"].object_list) == 3
    only_s1 = manager.get(reverse("web:case-list"), {"scope": "all", "severity": "1"})
    assert [c.number for c in only_s1.context["page"].object_list] == [urgent.number]
    by_text = manager.get(reverse("web:case-list"), {"scope": "all", "q": "送醫"})
    assert [c.number for c in by_text.context["page"].object_list] == [urgent.number]


def test_bad_filter_values_give_a_message_not_an_error(agent_client: Client, open_case: Any) -> None:
    open_case()
    response = agent_client.get(
        reverse("web:case-list"), {"severity": "9", "stage": "nowhere", "page": "x", "scope": "all"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "errors" in response.content.decode()


def test_htmx_filter_request_gets_only_the_results(agent_client: Client, open_case: Any) -> None:
    open_case()
    response = agent_client.get(reverse("web:case-list"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert "<table" in page


def test_case_list_query_count_does_not_grow_with_rows(
    client_for: Any, open_case: Any, company: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        open_case(department=company["cs"], severity=2, branch=company["branch"], subject=f"案件 {i}")
    manager = client_for("manager")
    manager.get(reverse("web:case-list"))  # warm the session
    with django_assert_max_num_queries(QUERY_LIMIT):
        response = manager.get(reverse("web:case-list"), {"scope": "all"})
    assert len(response.context["page"].object_list) == 25
    agent = client_for("agent")
    agent.get(reverse("web:case-list"))
    with django_assert_max_num_queries(QUERY_LIMIT):
        response = agent.get(reverse("web:case-list"), {"scope": "departments", "severity": "2"})
    assert len(response.context["page"].object_list) == 25


def test_notifications_page_bell_and_mark_read(client_for: Any, open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    case_services.add_note(case, body="@staff 請協助確認", by=users["agent"])
    staff = client_for("staff")
    assert "1" in staff.get(reverse("web:notifications-bell")).content.decode()
    page = staff.get(reverse("web:notifications")).content.decode()
    assert case.number in page
    note = Notification.objects.get(recipient=users["staff"])
    staff.post(reverse("web:notifications-read"), {"notification": note.pk})
    assert Notification.objects.filter(recipient=users["staff"], read_at__isnull=True).count() == 0
    assert staff.get(reverse("web:notifications-bell")).content.decode().strip() == ""


def test_mark_all_read(client_for: Any, open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    case_services.add_note(case, body="@staff 第一則", by=users["agent"])
    case_services.add_note(case, body="@staff 第二則", by=users["agent"])
    client_for("staff").post(reverse("web:notifications-read"))
    assert Notification.objects.filter(recipient=users["staff"], read_at__isnull=True).count() == 0




def test_bell_after_logout_swaps_nothing(client: Client) -> None:
    assert client.get(reverse("web:notifications-bell")).status_code == 204
