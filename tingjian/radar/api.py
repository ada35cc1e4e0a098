"""The radar part of REST API v1 (STYLE rule 7): the crises with their evidence and the
cases by viral risk. Both need ``radar.view_radar``; the risk list holds only cases the
caller may see, and a crisis's example cases likewise. Errors are raised and rendered as
problem+json by the api app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tingjian.alerts.services import absolute_url

from . import selectors, virality
from .models import CrisisEvent, CrisisStatus
from .services import crisis_url

router = Router()


def _user(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    if not selectors.may_view(user):
        raise PermissionDenied(_("You may not see the crisis radar."))
    return user


class CrisisQuery(Schema):
    status: Literal["live", "closed", "all"] = Field("live", description="live: open or acknowledged")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


class HourOut(Schema):
    at: datetime
    observed: int
    baseline: float | None = Field(description="the usual count of this hour of the week")


class CrisisOut(Schema):
    id: int
    title: str
    dimension: str = Field(description="all, category, product, branch or channel")
    key: str = Field(description="id of the category, product or branch; channel code; * for all")
    label: str
    status: str
    part_of: int | None = Field(description="the crisis this spike is part of (the same cases in another dimension)")
    started_at: datetime
    window_start: datetime
    window_end: datetime
    last_seen_at: datetime
    observed: int = Field(description="complaints in the latest window")
    peak_observed: int
    baseline: float = Field(description="the usual count of that window (mean of past weeks)")
    p_value: float
    z_score: float
    baseline_weeks: int
    safety: bool
    example_cases: list[str] = Field(description="numbers of example cases you may see")
    hourly: list[HourOut]
    acknowledged_at: datetime | None
    acknowledged_by: str
    closed_at: datetime | None
    url: str


class CrisisPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CrisisOut]


class RiskQuery(Schema):
    min_score: int = Field(0, ge=0, le=100)
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


class ReasonOut(Schema):
    code: str = Field(description="reach, speed, negative, safety, media, unanswered or crisis")
    points: int
    text: str = Field(description="in the language of the request")


class RiskOut(Schema):
    case: str
    subject: str
    score: int
    reasons: list[ReasonOut]
    computed_at: datetime
    unanswered_since: datetime | None
    peak_score: int
    url: str


class RiskPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RiskOut]


def _crisis_out(event: CrisisEvent, examples: dict[int, Any]) -> dict[str, Any]:
    return {
        "id": event.pk, "title": selectors.crisis_title(event), "dimension": event.dimension, "key": event.key,
        "label": event.label, "status": event.status, "part_of": event.story_id, "started_at": event.started_at,
        "window_start": event.window_start, "window_end": event.window_end, "last_seen_at": event.last_seen_at,
        "observed": event.observed, "peak_observed": event.peak_observed, "baseline": event.baseline,
        "p_value": event.p_value, "z_score": event.z_score, "baseline_weeks": event.baseline_weeks,
        "safety": event.safety,
        "example_cases": [examples[pk].number for pk in event.example_case_ids or [] if pk in examples],
        "hourly": event.series or [],
        "acknowledged_at": event.acknowledged_at,
        "acknowledged_by": event.acknowledged_by.get_username() if event.acknowledged_by else "",
        "closed_at": event.closed_at,
        "url": absolute_url(crisis_url(event)),
    }


@router.get("/crises", response=CrisisPage, summary="Crises (complaint spikes) with their evidence")
def crises(request: HttpRequest, query: Query[CrisisQuery]) -> dict[str, Any]:
    user = _user(request)
    qs = CrisisEvent.objects.select_related("acknowledged_by").order_by("-started_at", "-id")
    if query.status == "live":
        qs = qs.exclude(status=CrisisStatus.CLOSED)
    elif query.status == "closed":
        qs = qs.filter(status=CrisisStatus.CLOSED)
    page = list(qs[query.offset: query.offset + query.limit])
    examples = selectors.visible_examples(user, page)
    return {
        "count": qs.count(), "limit": query.limit, "offset": query.offset,
        "items": [_crisis_out(e, examples) for e in page],
    }


@router.get("/risk", response=RiskPage, summary="Public complaints by viral risk, with the reasons")
def risk(request: HttpRequest, query: Query[RiskQuery]) -> dict[str, Any]:
    user = _user(request)
    qs = selectors.risk_rows(user, min_score=query.min_score)
    page = list(qs[query.offset: query.offset + query.limit])
    return {
        "count": qs.count(), "limit": query.limit, "offset": query.offset,
        "items": [
            {
                "case": row.case.number, "subject": row.case.subject, "score": row.score,
                "reasons": [
                    {"code": r.get("code", ""), "points": int(r.get("points", 0)), "text": virality.describe(r)}
                    for r in row.reasons
                ],
                "computed_at": row.computed_at, "unanswered_since": row.unanswered_since,
                "peak_score": row.peak_score,
                "url": absolute_url(reverse("web:case-detail", args=[row.case.number])),
            }
            for row in page
        ],
    }
