"""The case page's assist panel: suggestions with confidence, similar closed cases in scope,
knowledge, and "use this category" teaching the next training."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tingjian.cases import indexing, services
from tingjian.cases.models import Case, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.org.tests.factories import CategoryFactory
from tingjian.textintel.models import TrainingExample

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices() -> Any:
    return CategoryFactory(code="invoice-error", name_zh_hant="發票錯誤", name_zh_hans="发票错误", name_en="Invoice error")


def _close(case: Case, findings: str = "") -> None:
    with engine_moving_stage():  # the short way: the workflow's own path is tested elsewhere
        Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, findings=findings, resolution_code="explained")
    case.refresh_from_db()
    indexing.reindex(case)


def test_the_panel_suggests_a_category_and_shows_similar_cases_in_scope(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any], invoices: Any,
) -> None:
    seen = open_case(subject="發票統編打錯", body="電子發票上的統一編號打錯了，公司不能報帳", department=company["cs"])
    hidden = open_case(subject="發票統編打錯", body="電子發票上的統一編號打錯了，公司不能報帳", department=company["logistics"], by=users["manager"])
    _close(seen, findings="收銀機統編欄位未清空")
    _close(hidden)
    case = open_case(subject="統編錯了", body="發票的統一編號跟我給的不一樣，請幫我重開發票", department=company["cs"])
    html = client_for("agent").get(f"/cases/{case.number}/assist/").content.decode()
    assert "Invoice error" in html and "Use this category" in html
    assert seen.number in html and "收銀機統編欄位未清空" in html
    assert hidden.number not in html


def test_the_panel_of_a_case_out_of_scope_is_not_found(client_for: Callable[[str], Client], open_case: Callable[..., Case], company: dict[str, Any], users: dict[str, Any]) -> None:
    hidden = open_case(department=company["logistics"], by=users["manager"])
    assert client_for("agent").get(f"/cases/{hidden.number}/assist/").status_code == 404


def test_using_the_suggestion_sets_the_category_and_is_remembered_as_confirmed(
    client_for: Callable[[str], Client], open_case: Callable[..., Case], invoices: Any,
) -> None:
    case = open_case(subject="統編錯了", body="發票的統一編號跟我給的不一樣，請幫我重開發票")
    response = client_for("agent").post(f"/cases/{case.number}/use-category/", {"category": "invoice-error"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.category_id == invoices.pk
    example = TrainingExample.objects.get(ref=f"case:{case.pk}", task="category")
    assert example.label == "invoice-error" and example.source == "agent_confirmed"


def test_a_different_choice_is_remembered_as_a_correction(open_case: Callable[..., Case], users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(subject="統編錯了", body="發票的統一編號跟我給的不一樣，請幫我重開發票")
    services.update_case(case, by=users["agent"], fields={"category": company["category"].code})
    example = TrainingExample.objects.get(ref=f"case:{case.pk}", task="category")
    assert example.label == company["category"].code
    assert example.source == "agent_corrected" and example.predicted_label == "invoice-error"


def test_only_people_who_may_change_the_case_can_use_a_category(client_for: Callable[[str], Client], open_case: Callable[..., Case], invoices: Any) -> None:
    case = open_case()
    client_for("executive").post(f"/cases/{case.number}/use-category/", {"category": "invoice-error"})
    case.refresh_from_db()
    assert case.category_id is None
    assert not TrainingExample.objects.exists()
