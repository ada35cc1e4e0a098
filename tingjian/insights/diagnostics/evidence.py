"""The cases behind a diagnostic's number when no simple filter describes them (two root
causes in the same branch-weeks, the cases after a corrective action, the cases holding a
term…). Simple ones link to the insights drill-down (``selectors.drill_cases``) instead.

Same contract as ``drill_cases``: insights.view_insights is checked here, the cases are
scoped to what the user may see, bad parameters raise ``DrillError`` with a message for people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import TruncDate, TruncWeek
from django.utils.translation import gettext as _

from tingjian.cases.models import Case, ResolutionCode, Stage
from tingjian.cases.permissions import visible_cases
from tingjian.org.models import RootCause

from ..models import NONE
from ..selectors import DrillError, Slice, ensure_can_view_insights, slice_from_params
from ..selectors.period import local_tz
from .common import CASE_FIELDS, cases_opened, int_param
from .hidden_causes import WINDOWS, pair_cells
from .recurrence import MAX_DAYS, repeat_cases
from .topics import cases_with_term

KINDS = ("pair", "repeat", "action", "term", "agent")


def _int(params: Mapping[str, Any], key: str, *, low: int = 1, high: int = 2**31, default: int | None = None) -> int:
    """A whole-number parameter; required unless it has a ``default``."""
    if not str(params.get(key) or "").strip():
        if default is None:
            raise DrillError(_("The link is missing a parameter (%(name)s).") % {"name": key})
        return default
    try:
        return int_param(params, key, default=low, low=low, high=high)
    except ValueError as exc:
        raise DrillError(str(exc)) from None


def _pair(slice: Slice, params: Mapping[str, Any], user: Any) -> tuple[QuerySet[Case], str]:
    a, b = _int(params, "a"), _int(params, "b")
    window = str(params.get("window") or "week")
    if window not in WINDOWS:
        raise DrillError(_("Choose weeks or days."))
    cells = pair_cells(slice, a, b, window, user=user)
    trunc = TruncWeek if window == "week" else TruncDate
    rows = (
        cases_opened(slice, user=user).filter(root_cause_id__in=(a, b))
        .annotate(cell=trunc("opened_at", tzinfo=local_tz())).values_list("pk", "branch_id", "cell")
    )
    ids = [pk for pk, branch, cell in rows if (branch, cell.date() if hasattr(cell, "date") else cell) in cells]
    names = {c.pk: c.label for c in RootCause.objects.filter(pk__in=(a, b))}
    unit = _("branch-weeks") if window == "week" else _("branch-days")
    sentence = _("Cases with root cause %(a)s or %(b)s, in the %(unit)s where both were recorded") % {
        "a": names.get(a, a), "b": names.get(b, b), "unit": unit,
    }
    return Case.objects.filter(pk__in=ids), sentence


def _action(slice: Slice, params: Mapping[str, Any], user: Any) -> tuple[QuerySet[Case], str]:
    number = str(params.get("case") or "").strip()[:20]
    action = (
        visible_cases(user).filter(number=number, resolution_code=ResolutionCode.CORRECTIVE_ACTION, stage=Stage.CLOSED)
        .exclude(closed_at=None).exclude(branch=None).exclude(root_cause=None).first()
    )
    if action is None or action.closed_at is None or action.branch_id is None or action.root_cause_id is None:
        raise DrillError(_("No closed case %(number)s with a corrective action.") % {"number": number})
    later = cases_opened(slice, user=user).filter(
        branch_id=action.branch_id, root_cause_id=action.root_cause_id, opened_at__gt=action.closed_at,
    ).exclude(pk=action.pk)
    # Cases after a newer corrective action for the same cause belong to that one.
    newer = (
        visible_cases(user).filter(
            branch_id=action.branch_id, root_cause_id=action.root_cause_id, stage=Stage.CLOSED,
            resolution_code=ResolutionCode.CORRECTIVE_ACTION, closed_at__gt=action.closed_at,
        ).order_by("closed_at").values_list("closed_at", flat=True).first()
    )
    if newer is not None:
        later = later.filter(opened_at__lte=newer)
    sentence = _("Cases with the same root cause in the same branch, opened after %(number)s was closed with a corrective action") % {"number": action.number}
    return later, sentence


def _agent(slice: Slice, params: Mapping[str, Any], user: Any) -> tuple[QuerySet[Case], str]:
    from tingjian.surveys.models import Answer

    agent = _int(params, "agent", low=-1)
    what = str(params.get("what") or "opened")
    condition = {"assignee__isnull": True} if agent == NONE else {"assignee_id": agent}
    if what == "answers":
        start, end = slice.bounds()
        answered = Answer.objects.filter(invitation__case=OuterRef("pk"), answered_at__gte=start, answered_at__lt=end)
        from ..selectors.backlog import filtered_cases

        qs = filtered_cases(slice, visible_cases(user)).filter(Exists(answered), **condition)
        return qs, _("Cases of this agent with a survey answer in the period")
    if what != "opened":
        raise DrillError(_("Unknown list “%(value)s”.") % {"value": what})
    return cases_opened(slice, user=user).filter(**condition), _("Cases of this agent opened in the period")


def evidence_cases(params: Mapping[str, Any], *, user: Any) -> tuple[QuerySet[Case], str]:
    """The cases behind a diagnostic's number, newest first, and a sentence saying what they are."""
    ensure_can_view_insights(user)
    kind = str(params.get("kind") or "")
    if kind not in KINDS:
        raise DrillError(_("Unknown list “%(value)s”.") % {"value": kind[:30]})
    slice = slice_from_params(params, default="last_30_days")
    slice.ensure_not_future()
    if kind == "pair":
        qs, sentence = _pair(slice, params, user)
    elif kind == "repeat":
        days = _int(params, "days", default=30, high=MAX_DAYS)
        qs = repeat_cases(slice, user=user, days=days)
        sentence = _("Cases whose customer had another case in the %(days)s days before") % {"days": days}
    elif kind == "action":
        qs, sentence = _action(slice, params, user)
    elif kind == "term":
        term = str(params.get("term") or "").strip()[:60]
        if not term:
            raise DrillError(_("The link is missing a parameter (%(name)s).") % {"name": "term"})
        qs = Case.objects.filter(pk__in=cases_with_term(slice, term, user=user))
        sentence = _("Cases whose customer wrote “%(term)s”") % {"term": term}
    else:
        qs, sentence = _agent(slice, params, user)
    period = _("from %(start)s to %(end)s") % {"start": slice.start.isoformat(), "end": slice.end.isoformat()}
    return qs.select_related(*CASE_FIELDS).order_by("-opened_at", "-id"), f"{sentence} · {period}"
