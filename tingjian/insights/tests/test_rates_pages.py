"""The per-10,000 pages: figures, publishing, disputes, the denominators grid and import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.insights.models import Denominator, Dispute, DisputeStatus, Publication
from tingjian.insights.rates import publishing
from tingjian.org.tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
FEBRUARY = date(2026, 2, 1)
RATES = reverse("web:rates")
PUBLISH = reverse("web:rates-publish")
DENOMINATORS = reverse("web:rates-denominators")


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make


@pytest.fixture
def february(company: dict[str, Any], users: dict[str, Any], customer: Any) -> list[Case]:
    """Three complaints at the branch in February among 15,000 customers; a second branch with none."""
    BranchFactory(code="tpe-daan")
    Denominator.objects.create(branch=company["branch"], month=FEBRUARY, value=15_000)
    return [
        case_services.open_case(
            customer=customer, subject=f"餐點問題 {i}", channel="phone", body="湯是冷的。", by=users["agent"],
            sent_at=datetime(2026, 2, 14, 2, 0, tzinfo=UTC), fields={"branch": company["branch"]},
        )
        for i in range(3)
    ]


def test_the_page_shows_the_figure_and_a_missing_denominator(client_for: Any, february: Any) -> None:
    response = client_for("manager").get(RATES, {"month": "2026-02"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "2.00" in html
    assert "no denominator" in html


def test_the_page_defaults_to_last_month(client_for: Any, february: Any) -> None:
    response = client_for("manager").get(RATES)

    assert response.context["view"].month == FEBRUARY


@pytest.mark.parametrize("branches", [0, 5])
def test_the_page_reads_a_fixed_number_of_queries(branches: int, client_for: Any, february: Any, users: Any, django_assert_num_queries: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    publishing.file_dispute(publication, branch_id=february[0].branch_id, text="wrong", by=users["manager"])
    for i in range(branches):
        BranchFactory(code=f"extra-{i}")
    client = client_for("executive")

    with django_assert_num_queries(10):
        response = client.get(RATES, {"month": "2026-02"})

    assert response.status_code == 200


def test_agents_may_not_see_the_figures(client_for: Any, february: Any) -> None:
    assert client_for("agent").get(RATES).status_code == 403


def test_a_bad_month_is_not_found(client_for: Any) -> None:
    assert client_for("manager").get(RATES, {"month": "2026-13"}).status_code == 404


def test_the_number_of_complaints_leads_to_the_cases_counted(client_for: Any, february: list[Case], company: Any) -> None:
    response = client_for("manager").get(reverse("web:rates-cases"), {"month": "2026-02", "branch": company["branch"].pk})

    assert {c.number for c in response.context["cases"]} == {c.number for c in february}


def test_an_executive_publishes_the_month(client_for: Any, february: Any) -> None:
    response = client_for("executive").post(PUBLISH, {"month": "2026-02"})

    assert response.status_code == 302
    assert Publication.objects.get(month=FEBRUARY).version == 1


def test_qa_reviewers_may_not_publish(client_for: Any, february: Any) -> None:
    assert client_for("qa").post(PUBLISH, {"month": "2026-02"}).status_code == 403
    assert not Publication.objects.exists()


def test_the_open_month_offers_no_publishing_and_refuses_it(client_for: Any, february: Any) -> None:
    client = client_for("executive")

    page = client.get(RATES, {"month": "2026-03"})
    refused = client.post(PUBLISH, {"month": "2026-03"})

    assert "Publish version 1" not in page.content.decode()
    assert "not over" in page.content.decode()
    assert refused.status_code == 422
    assert "not over" in refused.content.decode()
    assert not Publication.objects.exists()


def test_a_correction_without_a_reason_is_refused_on_the_page(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publishing.publish(FEBRUARY, by=users["executive"])
    Denominator.objects.filter(month=FEBRUARY).update(value=30_000)

    response = client_for("executive").post(PUBLISH, {"month": "2026-02", "reason": ""})

    assert response.status_code == 422
    assert "say why" in response.content.decode()
    assert Publication.objects.count() == 1


def test_the_page_shows_that_the_live_figures_moved_since_publishing(client_for: Any, february: Any, users: Any) -> None:
    publishing.publish(FEBRUARY, by=users["executive"])
    Denominator.objects.filter(month=FEBRUARY).update(value=30_000)

    html = client_for("manager").get(RATES, {"month": "2026-02"}).content.decode()

    assert "no longer matches" in html
    assert "2.00" in html and "1.00" in html


def test_a_manager_files_a_dispute_shown_beside_the_figure(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    client = client_for("manager")
    url = reverse("web:rates-dispute", args=[publication.pk, company["branch"].pk])

    response = client.post(url, {"text": "二月十四日的客訴屬於中央廚房。"})

    assert response.status_code == 302
    html = client.get(RATES, {"month": "2026-02"}).content.decode()
    assert "二月十四日的客訴屬於中央廚房。" in html


def test_an_empty_dispute_is_refused(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    url = reverse("web:rates-dispute", args=[publication.pk, company["branch"].pk])

    response = client_for("manager").post(url, {"text": ""})

    assert response.status_code == 422
    assert not Dispute.objects.exists()


def test_agents_cannot_open_the_dispute_form(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    url = reverse("web:rates-dispute", args=[publication.pk, company["branch"].pk])

    assert client_for("agent").get(url).status_code == 403


def test_an_executive_answers_a_dispute(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    dispute = publishing.file_dispute(publication, branch_id=company["branch"].pk, text="wrong", by=users["manager"])

    response = client_for("executive").post(
        reverse("web:rates-dispute-answer", args=[dispute.pk]), {"decision": "accept", "answer": "會在第 2 版更正。"},
    )

    assert response.status_code == 302
    assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.ACCEPTED
    html = client_for("manager").get(RATES, {"month": "2026-02"}).content.decode()
    assert "a correction is due" in html


def test_the_manager_who_filed_a_dispute_cannot_answer_it(client_for: Any, february: Any, company: Any, users: Any) -> None:
    publication = publishing.publish(FEBRUARY, by=users["executive"])
    dispute = publishing.file_dispute(publication, branch_id=company["branch"].pk, text="wrong", by=users["manager"])

    assert client_for("manager").get(reverse("web:rates-dispute-answer", args=[dispute.pk])).status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_figures_export(fmt: str, client_for: Any, february: Any) -> None:
    response = client_for("manager").get(reverse("web:rates-export"), {"month": "2026-02", "format": fmt})

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="per-10000-2026-02.{fmt}"'
    if fmt == "csv":
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[1].startswith("tpe-daan,") and "no denominator" in lines[1]
        assert lines[2].startswith("tpe-xinyi,") and ",3,15000,customers served,2.0," in lines[2]


def test_the_grid_shows_the_years_denominators(client_for: Any, february: Any) -> None:
    response = client_for("manager").get(DENOMINATORS, {"year": "2026"})

    assert 'value="15000"' in response.content.decode()


def test_a_wrong_cell_in_the_grid_saves_nothing_and_says_why(client_for: Any, company: Any) -> None:
    branch = company["branch"]
    data = {"year": "2026", f"cell-{branch.pk}-1": "12000", f"cell-{branch.pk}-2": "zero", f"basis-{branch.pk}": "customers"}

    response = client_for("manager").post(DENOMINATORS, data)

    assert response.status_code == 422
    assert "“zero” is not a number" in response.content.decode()
    assert 'value="12000"' in response.content.decode()  # what was typed stays
    assert response.content.decode().count('aria-invalid="true"') == 1  # the wrong cell is marked
    assert not Denominator.objects.exists()


def test_the_grid_saves(client_for: Any, company: Any) -> None:
    branch = company["branch"]

    response = client_for("manager").post(DENOMINATORS, {"year": "2026", f"cell-{branch.pk}-1": "12000"})

    assert response.status_code == 302
    assert Denominator.objects.get().value == 12_000


def test_agents_may_not_save_the_grid(client_for: Any, company: Any) -> None:
    branch = company["branch"]

    assert client_for("agent").post(DENOMINATORS, {"year": "2026", f"cell-{branch.pk}-1": "12000"}).status_code == 403


def test_a_malformed_csv_upload_lists_the_rows_and_saves_nothing(client_for: Any, company: Any) -> None:
    upload = SimpleUploadedFile("d.csv", b"branch,month,value\ntpe-xinyi,2026-01,15000\nnowhere,2026-01,-4\n", "text/csv")

    response = client_for("manager").post(reverse("web:rates-denominators-import"), {"year": "2026", "upload": upload})

    assert response.status_code == 422
    html = response.content.decode()
    assert "Nothing was imported" in html and "Line 3:" in html and "unknown branch" in html
    assert not Denominator.objects.exists()


def test_a_good_csv_upload_is_imported(client_for: Any, company: Any) -> None:
    upload = SimpleUploadedFile("d.csv", b"branch,month,value\ntpe-xinyi,2026-01,15000\n", "text/csv")

    response = client_for("manager").post(reverse("web:rates-denominators-import"), {"year": "2026", "upload": upload})

    assert response.status_code == 302
    assert Denominator.objects.get().value == 15_000
