"""Reads of the surveys: a case's survey, QA's follow-ups, the answers with their filters.

Lists take the cases the reader may see (``cases.permissions.visible_cases``) and keep them
as a subquery, so nobody reads the answer of a case they may not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case as Switch
from django.db.models import IntegerField, QuerySet, Value, When

from tingjian.cases.models import Case
from tingjian.cases.permissions import visible_cases

from .models import Answer, FollowUp, FollowUpStatus, Invitation

# NPS bands: 0–6 detractors, 7–8 passives, 9–10 promoters.
NPS_BANDS = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}


@dataclass(frozen=True)
class CaseSurvey:
    """What the case page shows of its survey."""

    invitation: Invitation
    answer: Answer | None
    follow_up: FollowUp | None


def survey_for_case(case: Case) -> CaseSurvey | None:
    """The case's invitation with its answer and follow-up (one query), or None."""
    invitation = (
        Invitation.objects.filter(case_id=case.pk)
        .select_related("message", "answer", "answer__follow_up", "answer__follow_up__taken_by", "answer__follow_up__done_by")
        .first()
    )
    if invitation is None:
        return None
    answer = getattr(invitation, "answer", None)
    follow_up = getattr(answer, "follow_up", None) if answer is not None else None
    return CaseSurvey(invitation=invitation, answer=answer, follow_up=follow_up)


def follow_ups(user: Any, *, status: str = "") -> QuerySet[FollowUp]:
    """Open ones first, newest first within each, of the cases ``user`` may see."""
    qs = FollowUp.objects.filter(case__in=visible_cases(user))
    if status in FollowUpStatus.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("case", "case__branch", "answer", "taken_by", "done_by")
        .annotate(open_first=Switch(When(status=FollowUpStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("open_first", "-opened_at", "-id")
    )


def follow_up(user: Any, pk: int) -> FollowUp:
    """One follow-up ``user`` may see; ``FollowUp.DoesNotExist`` otherwise."""
    return FollowUp.objects.select_related("case").get(pk=pk, case__in=visible_cases(user))


@dataclass(frozen=True)
class AnswerFilters:
    csat: int | None = None  # exactly this score
    csat_low: bool = False  # 1–2
    nps_band: str = ""  # detractor | passive | promoter
    branch: int | None = None
    start: date | None = None  # local days, inclusive
    end: date | None = None
    safety: bool = False


def _local_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def answers(user: Any, filters: AnswerFilters | None = None) -> QuerySet[Answer]:
    """Answers of the cases ``user`` may see, newest first, with what a list row shows."""
    f = filters or AnswerFilters()
    qs = Answer.objects.filter(invitation__case__in=visible_cases(user))
    if f.csat is not None:
        qs = qs.filter(csat=f.csat)
    if f.csat_low:
        qs = qs.filter(csat__lte=2)
    if f.nps_band in NPS_BANDS:
        low, high = NPS_BANDS[f.nps_band]
        qs = qs.filter(nps__gte=low, nps__lte=high)
    if f.branch is not None:
        qs = qs.filter(invitation__case__branch_id=f.branch)
    if f.start is not None:
        qs = qs.filter(answered_at__gte=_local_start(f.start))
    if f.end is not None:
        qs = qs.filter(answered_at__lt=_local_start(f.end + timedelta(days=1)))
    if f.safety:
        qs = qs.filter(safety=True)
    return qs.select_related(
        "invitation", "invitation__case", "invitation__case__branch", "invitation__case__department", "follow_up",
    ).order_by("-answered_at", "-id")
