"""Viral risk: the score and its reasons, the sweep, and one alert per crossing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.radar import services, virality
from tingjian.radar.models import ViralRisk

from .conftest import NOW


@pytest.fixture(autouse=True)
def _neutral_tone(monkeypatch: pytest.MonkeyPatch) -> None:
    # The sentiment model is tested in textintel; here the tone is fixed so the points are.
    monkeypatch.setattr(virality, "_negativity", lambda text: 0.0)


@pytest.fixture
def public_case(users: dict[str, Any], customer: Any, company: dict[str, Any], traveller: Any) -> Callable[..., Case]:
    def make(body: str = "好食光的便當有頭髮，大家評評理", reach: int | None = 100_000, **fields: Any) -> Case:
        return case_services.open_case(
            customer=customer, subject="公開留言", channel="messenger", body=body, by=users["agent"],
            is_public=True, message_extra={"author_reach": reach}, fields=fields,
        )

    return make


# ---------------------------------------------------------------------- the score, pure


def test_each_signal_is_a_reason_with_its_points() -> None:
    score, reasons = virality.score(virality.Signals(
        reach=48_000, follow_ups=2, negative=0.8, safety=True, media_terms=("记者",),
        unanswered=timedelta(minutes=90), crisis_label="異物",
    ))
    points = {r["code"]: r["points"] for r in reasons}
    assert points == {"reach": 22, "speed": 14, "negative": 12, "safety": 20, "media": 15, "unanswered": 10, "crisis": 10}
    assert score == 100  # 103, capped
    assert [r["points"] for r in reasons] == sorted(points.values(), reverse=True)


def test_a_small_calm_answered_post_scores_nothing() -> None:
    assert virality.score(virality.Signals(reach=80)) == (0, [])


def test_the_reasons_read_as_words_with_their_contribution() -> None:
    _score, reasons = virality.score(virality.Signals(reach=12_000, media_terms=("记者", "news"), unanswered=timedelta(hours=3)))
    words = virality.describe_all(reasons)
    assert "The author reaches 12,000 people (+17)" in words
    assert "Mentions the media or influencers: 记者, news (+15)" in words
    assert "No reply for 3 h 0 min (+13)" in words


def test_media_words_are_found_in_either_script_and_as_whole_words() -> None:
    assert virality.media_terms("我已經爆料給記者了") == ("爆料", "記者")
    assert virality.media_terms("我已经联系了记者和网红") == ("记者", "网红")
    assert virality.media_terms("A reporter from the NEWS desk called") == ("reporter", "NEWS")
    assert virality.media_terms("I read your newsletter; order 199912") == ()
    assert virality.media_terms("打1999陳情") == ("1999",)


# ---------------------------------------------------------------------- stored per case


def test_a_public_complaint_gets_a_score_with_reasons(public_case: Callable[..., Case], traveller: Any) -> None:
    case = public_case(body="便當有頭髮，我要找記者爆料")
    traveller.shift(timedelta(hours=2))
    row = services.recompute(case)
    assert row is not None
    codes = [r["code"] for r in row.reasons]
    assert codes == ["reach", "media", "unanswered"]
    assert row.score == 25 + 15 + 11
    assert row.unanswered_since == NOW
    assert row.next_due_at == NOW + timedelta(hours=2, minutes=15)


def test_a_private_complaint_has_no_viral_risk(open_case: Callable[..., Case], traveller: Any) -> None:
    case = open_case()
    assert services.recompute(case) is None
    assert not ViralRisk.objects.exists()


def test_a_reply_ends_the_unanswered_points(public_case: Callable[..., Case], users: dict[str, Any], traveller: Any) -> None:
    case = public_case()
    traveller.shift(timedelta(hours=1))
    before = services.recompute(case)
    assert before is not None and "unanswered" in [r["code"] for r in before.reasons]
    case_services.record_reply(case, body="您好，很抱歉，我們立刻處理。", by=users["agent"])
    after = services.recompute(case)
    assert after is not None
    assert "unanswered" not in [r["code"] for r in after.reasons]
    assert after.unanswered_since is None


def test_follow_ups_in_the_last_hour_add_speed(public_case: Callable[..., Case], traveller: Any) -> None:
    case = public_case()
    for _ in range(2):
        traveller.shift(timedelta(minutes=10))
        case_services.record_customer_message(case, body="還沒有人回嗎？", by=None, is_public=True)
    row = services.recompute(case)
    assert row is not None
    assert {"code": "speed", "points": 14, "messages": 2} in row.reasons
    traveller.shift(timedelta(hours=1, minutes=1))
    row = services.recompute(case)
    assert row is not None and "speed" not in [r["code"] for r in row.reasons]


# ------------------------------------------------------------------ alert once per crossing


def test_crossing_the_threshold_alerts_once_per_crossing(
    public_case: Callable[..., Case], users: dict[str, Any], pr_user: Any, traveller: Any, settings: Any,
) -> None:
    settings.TINGJIAN_RADAR_VIRAL_THRESHOLD = 50
    case = public_case(body="便當有頭髮，我要找記者爆料", assignee=users["agent"])  # reach 25 + media 15 = 40
    services.recompute(case)
    assert not pr_user.notifications.filter(kind="radar.viral").exists()
    traveller.shift(timedelta(hours=2))  # + 11 for waiting: 51
    services.recompute(case)
    traveller.shift(timedelta(minutes=15))
    services.recompute(case)
    for person in (pr_user, users["manager"], users["executive"], users["agent"]):
        (alert,) = person.notifications.filter(kind="radar.viral")
        assert alert.params["score"] >= 50
        assert case.number in alert.text
        assert "No reply for" in alert.params["reasons"]
        assert "記者" in alert.params["reasons"]
    assert not users["agent2"].notifications.filter(kind="radar.viral").exists()
    # Answered: below again. The customer writes again and waits: a new crossing, a new alert.
    case_services.record_reply(case, body="您好，很抱歉。", by=users["agent"])
    assert services.recompute(case).score == 40  # type: ignore[union-attr]
    traveller.shift(timedelta(minutes=1))
    case_services.record_customer_message(case, body="你們的回覆沒有誠意", by=None, is_public=True)
    traveller.shift(timedelta(hours=3))
    services.recompute(case)
    assert pr_user.notifications.filter(kind="radar.viral").count() == 2
    row = ViralRisk.objects.get(case=case)
    assert row.peak_score >= row.score


def test_a_personal_safety_case_alerts_urgently(
    public_case: Callable[..., Case], pr_user: Any, traveller: Any, settings: Any,
) -> None:
    settings.TINGJIAN_RADAR_VIRAL_THRESHOLD = 40
    case = public_case(body="水餃裡有玻璃碎片，嘴巴割傷流血了")
    assert case.safety
    services.recompute(case)
    (alert,) = pr_user.notifications.filter(kind="radar.viral")
    assert alert.urgent


# ------------------------------------------------------------------------------ the sweep


def test_the_sweep_scores_new_public_messages_once_and_rescores_after_a_reply(
    public_case: Callable[..., Case], open_case: Callable[..., Case], users: dict[str, Any], traveller: Any,
) -> None:
    case = public_case()
    open_case(subject="私訊")  # a private complaint: nothing to score
    assert services.sweep() == "1 case(s) with news, 0 aged scored"
    first = ViralRisk.objects.get(case=case).computed_at
    traveller.shift(timedelta(minutes=5))
    assert services.sweep() == "0 case(s) with news, 0 aged scored"
    case_services.record_reply(case, body="您好，已處理。", by=users["agent"])
    assert services.sweep() == "1 case(s) with news, 0 aged scored"
    row = ViralRisk.objects.get(case=case)
    assert row.computed_at > first
    assert row.unanswered_since is None
    assert ViralRisk.objects.count() == 1


def test_the_sweep_rescores_waiting_posts_as_they_age(public_case: Callable[..., Case], traveller: Any) -> None:
    case = public_case(reach=None)
    services.sweep()
    traveller.shift(timedelta(minutes=5))
    services.sweep()
    traveller.shift(timedelta(minutes=20))
    assert services.sweep() == "0 case(s) with news, 1 aged scored"
    assert ViralRisk.objects.get(case=case).score == 5


def test_the_sweep_does_bounded_work(public_case: Callable[..., Case], customer: Any, users: dict[str, Any], traveller: Any) -> None:
    from tingjian.customers import services as customer_services

    public_case()
    other = customer_services.create_customer(display_name="林小姐", by=None, identities=[("phone", "0922-111-222")])
    case_services.open_case(
        customer=other, subject="留言", channel="messenger", body="太誇張了", by=users["agent"], is_public=True,
    )
    assert services.sweep(limit=1).startswith("1 case(s) with news")
    assert ViralRisk.objects.count() == 1
    services.sweep(limit=1)
    assert ViralRisk.objects.count() == 2


def test_the_task_scores_one_case_by_id(public_case: Callable[..., Case], traveller: Any) -> None:
    from tingjian.radar import tasks

    case = public_case()
    assert tasks.recompute_viral_risk.call(case.pk) == f"case {case.pk}: 25"
    assert tasks.recompute_viral_risk.call(10**9) == f"no case {10**9}"
