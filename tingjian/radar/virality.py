"""Viral risk: how likely one public complaint is to spread, as a 0–100 score with reasons.

Responsible for: reading a case's public messages (``signals``), turning the signals into
points (``score``) and saying each reason in words (``describe``), so staff see *why*.
Must never: write (``services`` stores the score and alerts) or call a remote service.

The points, each capped, summed and capped at 100:

=================  ======  ===========================================================
signal             max     how
=================  ======  ===========================================================
author's reach     25      0 at ≤100 followers, +~8.3 per tenfold, 25 at ≥100,000
follow-ups         20      7 per further public message on the thread in the last hour
negativity         15      the sentiment model's confidence that the text is negative
personal safety    20      the case is flagged S1 (injury, poisoning…)
media, influencer  15      記者, 媒體, 爆料, 網紅, 消基會, 1999, reporter, news… (lexicon)
unanswered age     20      grows with the log of the wait: ~4 at 15 min, ~8 at 1 h, 20 at 12 h
complaint spike    10      the case is among an open crisis's cases
=================  ======  ===========================================================

A public post from a large account that names a reporter and waits hours for an answer
reaches the default threshold (70); a private-feeling one-off comment does not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.utils.translation import gettext as _

from tingjian.cases.models import Case, DeliveryStatus, Direction
from tingjian.textintel import learning
from tingjian.textintel.script import normalise, to_simplified

MAX_REACH_POINTS = 25
MAX_SPEED_POINTS = 20
POINTS_PER_FOLLOW_UP = 7
MAX_NEGATIVE_POINTS = 15
SAFETY_POINTS = 20
MEDIA_POINTS = 15
MAX_UNANSWERED_POINTS = 20
CRISIS_POINTS = 10
SPEED_WINDOW = timedelta(hours=1)
# The unanswered points reach their maximum at this age.
UNANSWERED_FULL = timedelta(hours=12)
# How much of the public thread the sentiment model reads.
SENTIMENT_CHARACTERS = 2000

# Words that say the customer is taking it to the press, an influencer, a regulator or the
# public. Matched on the normalised text (Simplified, lower-case), so 記者 finds 记者 too;
# Latin terms as whole words, digits not inside a longer number.
MEDIA_TERMS: tuple[str, ...] = (
    "記者", "媒體", "爆料", "新聞", "網紅", "消基會", "消保官", "1999", "12315", "衛生局", "食藥署",
    "投訴到", "上新聞", "公審", "爆料公社", "dcard", "ptt", "部落客", "直播", "粉絲", "網友", "分享出去",
    "微博", "小紅書", "抖音", "youtuber", "kol",
    "reporter", "journalist", "news", "media", "press", "influencer", "viral", "tiktok", "followers",
)


@dataclass(frozen=True)
class Signals:
    """What the score is computed from, for one case at one moment."""

    reach: int | None = None
    follow_ups: int = 0  # further public messages on the thread in the last hour
    negative: float = 0.0  # confidence the public text is negative (0 when it is not)
    safety: bool = False
    media_terms: tuple[str, ...] = ()
    unanswered: timedelta | None = None  # how long the oldest unanswered public message waits
    crisis_label: str = ""
    # Facts for the sweep, not scored.
    unanswered_since: datetime | None = None
    follow_up_times: tuple[datetime, ...] = field(default=(), compare=False)


@cache
def _media_pattern() -> re.Pattern[str]:
    parts = []
    for term in MEDIA_TERMS:
        norm = normalise(term)
        if norm.isascii() and norm.isalnum() and not norm.isdigit():
            parts.append(rf"(?<![a-z0-9]){re.escape(norm)}(?![a-z0-9])")
        elif norm.isdigit():
            parts.append(rf"(?<!\d){re.escape(norm)}(?!\d)")
        else:
            parts.append(re.escape(norm))
    return re.compile("|".join(sorted(parts, key=len, reverse=True)))


def media_terms(text: str) -> tuple[str, ...]:
    """The media or influencer words in ``text``, quoted as the customer wrote them (each
    once, in the order seen)."""
    # Converted character for character, so a match is at the same place in the original.
    simplified = to_simplified(text or "").lower()
    quotable = len(simplified) == len(text or "")
    seen: dict[str, str] = {}
    for match in _media_pattern().finditer(simplified):
        seen.setdefault(match.group(0), text[match.start(): match.end()] if quotable else match.group(0))
    return tuple(seen.values())


def _reach_points(reach: int | None) -> int:
    if not reach or reach <= 100:
        return 0
    return min(MAX_REACH_POINTS, round(MAX_REACH_POINTS * math.log10(reach / 100) / 3))


def _unanswered_points(wait: timedelta | None) -> int:
    if wait is None or wait <= timedelta(0):
        return 0
    minutes = wait.total_seconds() / 60
    full = UNANSWERED_FULL.total_seconds() / 60
    return min(MAX_UNANSWERED_POINTS, round(MAX_UNANSWERED_POINTS * math.log1p(minutes / 15) / math.log1p(full / 15)))


def score(signals: Signals) -> tuple[int, list[dict[str, Any]]]:
    """(0–100, the reasons with their points, largest first); signals worth nothing are left out."""
    reasons: list[dict[str, Any]] = []
    points = _reach_points(signals.reach)
    if points:
        reasons.append({"code": "reach", "points": points, "reach": signals.reach})
    if signals.follow_ups:
        reasons.append({
            "code": "speed", "points": min(MAX_SPEED_POINTS, POINTS_PER_FOLLOW_UP * signals.follow_ups),
            "messages": signals.follow_ups,
        })
    points = round(MAX_NEGATIVE_POINTS * signals.negative)
    if points:
        reasons.append({"code": "negative", "points": points, "confidence": round(signals.negative, 2)})
    if signals.safety:
        reasons.append({"code": "safety", "points": SAFETY_POINTS})
    if signals.media_terms:
        reasons.append({"code": "media", "points": MEDIA_POINTS, "terms": list(signals.media_terms)})
    points = _unanswered_points(signals.unanswered)
    if points and signals.unanswered is not None:
        reasons.append({"code": "unanswered", "points": points, "minutes": int(signals.unanswered.total_seconds() // 60)})
    if signals.crisis_label:
        reasons.append({"code": "crisis", "points": CRISIS_POINTS, "label": signals.crisis_label})
    reasons.sort(key=lambda r: -int(r["points"]))
    return min(100, sum(int(r["points"]) for r in reasons)), reasons


def _age(minutes: int) -> str:
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)s days") % {"d": minutes // (24 * 60)}


def describe(reason: dict[str, Any]) -> str:
    """One reason in words, in the reader's language, with its contribution."""
    code, points = reason.get("code"), reason.get("points", 0)
    if code == "reach":
        text = _("The author reaches %(n)s people") % {"n": f"{int(reason.get('reach') or 0):,}"}
    elif code == "speed":
        text = _("%(n)s more public messages on the thread in the last hour") % {"n": reason.get("messages", 0)}
    elif code == "negative":
        text = _("Negative tone (%(pct)s%% sure)") % {"pct": round(100 * float(reason.get("confidence") or 0))}
    elif code == "safety":
        text = _("Personal safety is involved")
    elif code == "media":
        text = _("Mentions the media or influencers: %(terms)s") % {"terms": ", ".join(reason.get("terms") or [])}
    elif code == "unanswered":
        text = _("No reply for %(age)s") % {"age": _age(int(reason.get("minutes") or 0))}
    elif code == "crisis":
        text = _("Part of a complaint spike: %(label)s") % {"label": reason.get("label", "")}
    else:
        text = str(code)
    return f"{text} (+{points})"


def describe_all(reasons: Sequence[dict[str, Any]]) -> list[str]:
    return [describe(r) for r in reasons]


def _negativity(text: str) -> float:
    prediction = learning.predict("sentiment", text)
    return prediction.confidence if prediction.label == "negative" else 0.0


def signals(case: Case, *, now: datetime, crisis_labels: Iterable[tuple[int, str]] = ()) -> Signals | None:
    """The case's signals now; None when it has no public message from the customer.

    A public message is answered by any later reply a person sent that did not fail (our
    replies to a public post may go under it or privately; either way the customer heard
    from us). ``crisis_labels``: (case id, label) of the cases of open crises.
    """
    public = list(
        case.messages.filter(direction=Direction.INBOUND, is_public=True)
        .order_by("sent_at", "id").values_list("sent_at", "body", "author_reach")
    )
    if not public:
        return None
    last_reply = (
        case.messages.filter(direction=Direction.OUTBOUND, automatic=False)
        .exclude(delivery_status=DeliveryStatus.FAILED)
        .order_by("-sent_at").values_list("sent_at", flat=True).first()
    )
    waiting = [at for at, _body, _reach in public if last_reply is None or at > last_reply]
    since = min(waiting) if waiting else None
    recent = tuple(at for at, _body, _reach in public[1:] if at >= now - SPEED_WINDOW)
    text = "\n".join(body for _at, body, _reach in public[-3:])[-SENTIMENT_CHARACTERS:]
    all_text = "\n".join(body for _at, body, _reach in public)
    reaches = [reach for _at, _body, reach in public if reach is not None]
    label = next((lbl for case_id, lbl in crisis_labels if case_id == case.pk), "")
    return Signals(
        reach=max(reaches) if reaches else None,
        follow_ups=len(recent),
        negative=_negativity(text),
        safety=case.safety,
        media_terms=media_terms(all_text),
        unanswered=(now - since) if since is not None else None,
        crisis_label=label,
        unanswered_since=since,
        follow_up_times=recent,
    )


def next_look(signals: Signals, *, now: datetime) -> datetime | None:
    """When the score changes by itself: the wait grows, the last hour's messages age out."""
    times = []
    if signals.unanswered is not None and signals.unanswered < UNANSWERED_FULL:
        times.append(now + timedelta(minutes=15))
    if signals.follow_up_times:
        times.append(min(signals.follow_up_times) + SPEED_WINDOW)
    return min(times) if times else None
