"""The narrative says what the numbers show, and nothing more."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import translation

from tingjian.reports import narrative

Snapshot = Callable[..., dict[str, Any]]


def with_volume(snapshot: Snapshot, value: float | None, previous: float | None, **changes: Any) -> dict[str, Any]:
    data = snapshot(**changes)
    data["kpis"][0].update(value=value, previous=previous)
    return data


def test_volume_rise_names_the_change_and_the_category_that_drove_it(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 16, 13)
    assert narrative.volume(data) == (
        "台中店: complaints +23 % week on week (16 cases, 13 the week before), driven by 送餐延遲 (+5)."
    )


def test_volume_fall_names_no_driver(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 10, 16)
    assert narrative.volume(data) == "台中店: complaints −38 % week on week (10 cases, 16 the week before)."


def test_monthly_report_says_month_on_month(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 20, 10, cadence="monthly")
    assert "+100 % month on month" in narrative.volume(data)


def test_no_change_says_the_same(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 13, 13)
    assert narrative.volume(data) == "台中店: 13 cases opened, the same as in the previous period."


def test_empty_period_says_no_cases(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 0, 0)
    assert narrative.volume(data) == "台中店: no cases were opened this week."


def test_first_period_does_not_compare(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 5, None)
    assert narrative.volume(data) == "台中店: 5 cases opened; there is no previous period to compare with."


def test_growth_from_nothing_gives_no_percentage(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 1, 0)
    assert narrative.volume(data) == "台中店: 1 case opened, against none in the previous period."


def test_two_safety_cases_both_answered_in_time(snapshot: Snapshot) -> None:
    assert narrative.safety(snapshot()) == "2 personal-safety cases, both answered within 15 minutes."


def test_safety_cases_answered_late_or_not_at_all_are_counted(snapshot: Snapshot) -> None:
    data = snapshot()
    data["notable"]["safety"].update(count=3, answered=2, within_target=1)
    assert narrative.safety(data) == (
        "3 personal-safety cases: 1 answered within 15 minutes, 1 answered after more than 15 minutes, "
        "1 not answered yet."
    )


def test_no_safety_cases(snapshot: Snapshot) -> None:
    data = snapshot()
    data["notable"]["safety"].update(count=0, answered=0, within_target=0, rows=[])
    assert narrative.safety(data) == "No personal-safety cases."


def test_breaches_and_overrides(snapshot: Snapshot) -> None:
    data = snapshot()
    assert narrative.breaches_and_overrides(data) == "No SLA breaches and no overrides."
    data["notable"]["breaches"]["count"] = 3
    assert narrative.breaches_and_overrides(data) == "3 SLA breaches and no overrides."
    data["notable"]["overrides"]["count"] = 1
    assert narrative.breaches_and_overrides(data) == "3 SLA breaches and 1 override."
    data["notable"]["breaches"]["cases"] = 2
    assert narrative.breaches_and_overrides(data) == "3 SLA breaches in 2 cases and 1 override."


def test_a_safety_case_answered_late_is_not_called_in_time(snapshot: Snapshot) -> None:
    data = snapshot()
    data["notable"]["safety"].update(count=1, answered=1, within_target=0)
    assert narrative.safety(data) == "1 personal-safety case: 1 answered after more than 15 minutes."


def test_targets_sentence_lists_the_missed_ones(snapshot: Snapshot) -> None:
    data = snapshot()
    assert narrative.targets(data) == "The KPI target was met."
    data["kpis"][0].update(target=10, met=False)
    assert narrative.targets(data) == "1 of 2 KPI targets met; missed: Cases opened."


def test_no_targets_no_sentence(snapshot: Snapshot) -> None:
    data = snapshot()
    data["kpis"][1].update(target=None, met=None)
    assert narrative.targets(data) == ""


def test_branch_mover_with_its_driver(snapshot: Snapshot) -> None:
    data = snapshot(movers={"by": "branch", "rows": [
        {"label": "台中店", "count": 16, "previous": 13, "change": 0.23, "driver_label": "送餐延遲", "driver_change": 5},
    ]})
    assert narrative.mover(data) == "台中店 grew most: +23 % (16 cases, 13 before), driven by 送餐延遲."


def test_crises_are_named(snapshot: Snapshot) -> None:
    data = snapshot(crises=[{"title": "異物 spike", "started": "2026-11-18 12:00"}])
    assert narrative.crises(data) == "1 crisis alert: 異物 spike."


def test_sentences_skip_what_has_nothing_to_say(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 16, 13)
    said = narrative.sentences(data)
    assert said[0].startswith("台中店: complaints +23 %")
    assert "No SLA breaches and no overrides." in said
    assert not any("crisis" in sentence for sentence in said)


def test_narrative_follows_the_report_language(snapshot: Snapshot) -> None:
    data = with_volume(snapshot, 16, 13)
    with translation.override("zh-hant"):
        chinese = narrative.volume(data)
    assert chinese.startswith("台中店")
    assert "+23 %" in chinese
