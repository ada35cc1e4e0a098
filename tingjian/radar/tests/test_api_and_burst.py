"""The radar over the API, the selectors the dashboard and reports read, and the demo burst."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tingjian.api import services as api_services
from tingjian.api.tests.conftest import ApiClient
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.radar import selectors, services, virality
from tingjian.radar.models import CrisisEvent, Dimension, ViralRisk

from .conftest import NOW


@pytest.fixture(autouse=True)
def _neutral_tone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(virality, "_negativity", lambda text: 0.0)


@pytest.fixture
def api_as(users: dict[str, Any]) -> Callable[[str], ApiClient]:
    def make(role: str) -> ApiClient:
        return ApiClient(api_services.create_token(users[role], name="tests", by=None).plaintext)

    return make


@pytest.fixture
def scored(users: dict[str, Any], customer: Any, company: dict[str, Any], traveller: Any) -> Case:
    case = case_services.open_case(
        customer=customer, subject="公開留言", channel="messenger", body="我要找記者爆料", by=users["manager"],
        is_public=True, message_extra={"author_reach": 100_000}, fields={"department": company["logistics"]},
    )
    traveller.shift(timedelta(hours=2))
    services.recompute(case)
    return case


# -------------------------------------------------------------------------------- the API


def test_the_crises_over_the_api_carry_their_evidence(api_as: Callable[[str], ApiClient], spike: list[Case]) -> None:
    services.scan_now()
    response = api_as("executive").get("/radar/crises")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == CrisisEvent.objects.count()
    category = next(item for item in body["items"] if item["dimension"] == "category")
    assert category["observed"] == 12 and category["baseline"] == 0.0 and category["p_value"] < 1e-10
    assert len(category["hourly"]) == 24 and category["hourly"][-1]["observed"] == 12
    assert len(category["example_cases"]) == 10
    assert category["url"].endswith(f"/radar/#crisis-{category['id']}")


def test_an_agent_gets_only_the_example_cases_they_may_see(api_as: Callable[[str], ApiClient], spike: list[Case], company: dict[str, Any]) -> None:
    services.scan_now()
    items = api_as("agent").get("/radar/crises").json()["items"]
    category = next(item for item in items if item["dimension"] == "category")
    visible = {c.number for c in spike if c.department_id == company["cs"].pk}
    assert category["example_cases"] and set(category["example_cases"]) <= visible


def test_the_risk_list_over_the_api_is_scoped_and_gives_reasons(api_as: Callable[[str], ApiClient], scored: Case) -> None:
    body = api_as("manager").get("/radar/risk").json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["case"] == scored.number and item["score"] == 51
    assert [r["code"] for r in item["reasons"]] == ["reach", "media", "unanswered"]
    assert item["reasons"][0]["text"] == "The author reaches 100,000 people (+25)"
    assert api_as("agent").get("/radar/risk").json()["count"] == 0  # a logistics case


def test_the_radar_api_needs_the_radar_permission(api_as: Callable[[str], ApiClient], traveller: Any) -> None:
    for path in ("/radar/crises", "/radar/risk"):
        response = api_as("staff").get(path)
        assert response.status_code == 403
        assert response["Content-Type"].startswith("application/problem+json")


def test_bad_paging_over_the_api_is_refused(api_as: Callable[[str], ApiClient], traveller: Any) -> None:
    assert api_as("manager").get("/radar/crises", {"limit": 0}).status_code == 422
    assert api_as("manager").get("/radar/crises", {"status": "maybe"}).status_code == 422


# ------------------------------------------------------------------- selectors for others


def test_open_crises_and_crises_between_for_the_dashboard_and_reports(spike: list[Case], traveller: Any) -> None:
    services.scan_now()
    # One crisis: its branch, channel and company-wide spikes are the same cases.
    (crisis,) = selectors.open_crises(limit=10)
    assert crisis.dimension == Dimension.CATEGORY
    assert crisis.label == "Foreign object" and crisis.count == 12 and crisis.baseline == 0.0
    assert crisis.title == "Spike: Foreign object — 12 complaints in an hour (usually 0.0)"
    assert crisis.url == f"/radar/#crisis-{crisis.id}"
    assert [c.id for c in selectors.crises_between(NOW - timedelta(days=7), NOW + timedelta(minutes=1))] == [crisis.id]
    assert selectors.crises_between(NOW + timedelta(days=1), NOW + timedelta(days=8)) == []


def test_high_risk_cases_by_today_s_score_or_the_peak_in_a_period(scored: Case, settings: Any, traveller: Any) -> None:
    (today,) = selectors.high_risk_cases()
    assert today.case_number == scored.number and today.score == 51
    assert today.reasons[0] == "The author reaches 100,000 people (+25)"
    assert today.url == f"/cases/{scored.number}/"
    settings.TINGJIAN_RADAR_VIRAL_THRESHOLD = 50
    assert [r.case_number for r in selectors.high_risk_cases(since=NOW)] == [scored.number]
    settings.TINGJIAN_RADAR_VIRAL_THRESHOLD = 70
    assert selectors.high_risk_cases(since=NOW) == []


# ------------------------------------------------------------------------------ the burst


@pytest.fixture
def demo_taxonomy(taxonomy: dict[str, Any], write_cases: Callable[..., list[Case]], traveller: Any) -> dict[str, Any]:
    write_cases([{"at": NOW - timedelta(weeks=9), "category": taxonomy["cold"], "branch": taxonomy["qinmei"]}])
    return taxonomy


def test_the_burst_refuses_to_run_on_production(demo_taxonomy: dict[str, Any], settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="TINGJIAN_DEBUG is off"):
        call_command("radar", "burst")
    assert not Case.objects.filter(messages__external_id__startswith="radar-burst:").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--category", "no-such"], "No active category with the code 'no-such'"),
        (["--category", "food-quality"], "is a category group"),
        (["--branch", "nowhere"], "No active branch with the code 'nowhere'"),
        (["--count", "0"], "--count must be between 1 and 200"),
        (["--minutes", "90"], "--minutes must be between 1 and 60"),
    ],
)
def test_the_burst_refuses_bad_options_and_creates_nothing(
    demo_taxonomy: dict[str, Any], settings: Any, options: list[str], message: str,
) -> None:
    settings.DEBUG = True
    before = Case.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("radar", "burst", *options)
    assert Case.objects.count() == before


def test_a_burst_of_foreign_object_complaints_raises_a_crisis_alert_at_once(
    demo_taxonomy: dict[str, Any], users: dict[str, Any], pr_user: Any, settings: Any,
) -> None:
    settings.DEBUG = True
    out = StringIO()
    call_command("radar", "burst", "--branch", "txg-qinmei", "--count", "25", "--minutes", "30", "--seed", "7", stdout=out)
    burst = Case.objects.filter(messages__external_id__startswith="radar-burst:").distinct()
    assert burst.count() == 25
    assert set(burst.values_list("category__code", "branch__code")) == {("foreign-object", "txg-qinmei")}
    assert all(NOW - timedelta(minutes=30) <= c.opened_at <= NOW for c in burst)
    assert burst.filter(messages__is_public=True).exists()
    crisis = CrisisEvent.objects.get(dimension=Dimension.CATEGORY, key=str(demo_taxonomy["foreign"].pk))
    assert crisis.observed == 25
    (alert,) = pr_user.notifications.filter(kind="radar.spike")
    assert alert.params["observed"] == 25 and "Foreign object" in alert.text
    assert alert.urgent  # some mention glass and cuts: personal safety
    text = out.getvalue()
    assert "Filed 25 complaints (foreign-object, 異物) at txg-qinmei" in text
    assert "Spike: Foreign object — 25 complaints in an hour" in text
    assert ViralRisk.objects.filter(case__in=burst).exists()
    top = ViralRisk.objects.order_by("-score").first()
    assert top is not None and "crisis" in [r["code"] for r in top.reasons]
