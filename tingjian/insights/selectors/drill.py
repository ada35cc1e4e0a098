"""The cases behind a number: every KPI, breakdown and heatmap cell links here.

The parameters say which events (``what``) in which period and slice, and narrow them further
(category, hour, clock…). The definitions match the rollup's (``insights.measures``), so the
list's length equals the number that linked to it — for a user who may see every case; others
see the part they may see (``cases.permissions.visible_cases``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tingjian.cases.models import Case, ChannelKind, Override, Stage
from tingjian.cases.permissions import visible_cases
from tingjian.sla.models import Clock, ClockKind

from ..kpis import AGE_BUCKETS
from ..measures import REPEAT_WITHIN_DAYS
from ..models import NONE
from ..tables import Column, Table
from .backlog import age_filter, filtered_cases
from .facts import labels
from .period import PeriodError, Slice, local_tz, slice_from_params

VIEW_PERMISSION = "insights.view_insights"
WHATS = ("opened", "safety", "first_response", "closed", "reopened", "repeat", "sla", "overrides", "answers", "backlog")
OUTCOMES = ("", "met", "breached")
SCORES = ("", "csat", "satisfied", "nps", "promoter", "passive", "detractor")
WEEKDAYS = (
    gettext_lazy("Mondays"), gettext_lazy("Tuesdays"), gettext_lazy("Wednesdays"), gettext_lazy("Thursdays"),
    gettext_lazy("Fridays"), gettext_lazy("Saturdays"), gettext_lazy("Sundays"),
)


class DrillError(PeriodError):
    """Parameters that do not describe a set of cases; the message is for people."""


def ensure_can_view_insights(user: Any) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied(_("You may not see the insights."))


def _choice(params: Mapping[str, Any], key: str, allowed: tuple[str, ...], label: str) -> str:
    value = str(params.get(key) or "").strip()
    if value not in allowed:
        raise DrillError(_("The %(what)s “%(value)s” is not valid.") % {"what": label, "value": value})
    return value


def _number(params: Mapping[str, Any], key: str, low: int, high: int, label: str) -> int | None:
    raw = str(params.get(key) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise DrillError(_("The %(what)s “%(value)s” is not valid.") % {"what": label, "value": raw})
    return value


def _period_text(slice: Slice) -> str:
    if slice.start == slice.end:
        return _("on %(day)s") % {"day": slice.start.isoformat()}
    return _("from %(start)s to %(end)s") % {"start": slice.start.isoformat(), "end": slice.end.isoformat()}


def _events(what: str, slice: Slice, params: Mapping[str, Any]) -> tuple[Q, str, list[str]]:
    """The condition for ``what`` in the slice's period, its sentence, and the ordering."""
    lo, hi = slice.bounds()
    period = _period_text(slice)
    in_period = {"opened_at__gte": lo, "opened_at__lt": hi}
    if what == "opened":
        return Q(**in_period), _("Cases opened %(period)s") % {"period": period}, ["-opened_at", "-id"]
    if what == "safety":
        return (Q(safety=True, **in_period), _("Personal-safety cases opened %(period)s") % {"period": period},
                ["-opened_at", "-id"])
    if what == "first_response":
        return (Q(first_response_at__gte=lo, first_response_at__lt=hi),
                _("Cases first answered %(period)s") % {"period": period}, ["-first_response_at", "-id"])
    if what in ("closed", "reopened"):
        q = Q(closed_at__gte=lo, closed_at__lt=hi)
        if what == "reopened":
            return (q & Q(reopen_count__gt=0), _("Cases closed %(period)s that had been reopened") % {"period": period},
                    ["-closed_at", "-id"])
        return q, _("Cases closed %(period)s") % {"period": period}, ["-closed_at", "-id"]
    if what == "repeat":
        earlier = Case.objects.filter(
            customer_id=OuterRef("customer_id"), opened_at__lt=OuterRef("opened_at"),
            opened_at__gte=OuterRef("opened_at") - timedelta(days=REPEAT_WITHIN_DAYS),
        )
        return (Q(Exists(earlier), **in_period),
                _("Cases opened %(period)s whose customer had another case in the %(days)d days before")
                % {"period": period, "days": REPEAT_WITHIN_DAYS}, ["-opened_at", "-id"])
    if what == "sla":
        kind = _choice(params, "clock", tuple(ClockKind.values), _("clock"))
        outcome = _choice(params, "outcome", OUTCOMES, _("outcome"))
        met = Q(met_at__gte=lo, met_at__lt=hi, breached_at__isnull=True)
        breached = Q(breached_at__gte=lo, breached_at__lt=hi)
        decided = {"met": met, "breached": breached, "": met | breached}[outcome]
        clocks = Clock.objects.filter(decided, case=OuterRef("pk"), kind=kind)
        text = {
            "met": _("Cases whose %(clock)s clock was met in time %(period)s"),
            "breached": _("Cases whose %(clock)s clock breached %(period)s"),
            "": _("Cases whose %(clock)s clock was met or breached %(period)s"),
        }[outcome]
        return (Q(Exists(clocks)), text % {"clock": ClockKind(kind).label, "period": period}, ["-opened_at", "-id"])
    if what == "overrides":
        overridden = Override.objects.filter(case=OuterRef("pk"), at__gte=lo, at__lt=hi)
        return Q(Exists(overridden)), _("Cases overridden past a guard %(period)s") % {"period": period}, ["-opened_at", "-id"]
    if what == "answers":
        return _answers(slice, params, period)
    raise DrillError(_("Unknown list “%(value)s”.") % {"value": what})


def _answers(slice: Slice, params: Mapping[str, Any], period: str) -> tuple[Q, str, list[str]]:
    from tingjian.surveys.models import Answer

    lo, hi = slice.bounds()
    score = _choice(params, "score", SCORES, _("score"))
    condition = {
        "": Q(), "csat": Q(csat__isnull=False), "satisfied": Q(csat__gte=4), "nps": Q(nps__isnull=False),
        "promoter": Q(nps__gte=9), "passive": Q(nps__gte=7, nps__lte=8), "detractor": Q(nps__lte=6),
    }[score]
    text = {
        "": _("Cases with a survey answer %(period)s"),
        "csat": _("Cases with a satisfaction (CSAT) answer %(period)s"),
        "satisfied": _("Cases whose customer answered satisfied (CSAT 4–5) %(period)s"),
        "nps": _("Cases with a recommendation (NPS) answer %(period)s"),
        "promoter": _("Cases whose customer is a promoter (NPS 9–10), answered %(period)s"),
        "passive": _("Cases whose customer is passive (NPS 7–8), answered %(period)s"),
        "detractor": _("Cases whose customer is a detractor (NPS 0–6), answered %(period)s"),
    }[score]
    answers = Answer.objects.filter(condition, invitation__case=OuterRef("pk"), answered_at__gte=lo, answered_at__lt=hi)
    return Q(Exists(answers)), text % {"period": period}, ["-opened_at", "-id"]


def _narrowing(params: Mapping[str, Any]) -> tuple[Q, list[str], bool]:
    """Filters beyond the slice: category, product, root cause, severity, local weekday and hour
    of opening; the flag says whether the weekday/hour annotations are needed."""
    q, parts = Q(), []
    for key, field, label in (
        ("category", "category_id", _("category")), ("product", "product_id", _("product")),
        ("root_cause", "root_cause_id", _("root cause")),
    ):
        value = _number(params, key, -1, 2**31, label)
        if value is None:
            continue
        if value == 0:
            raise DrillError(_("The %(what)s “%(value)s” is not valid.") % {"what": label, "value": value})
        q &= Q(**{f"{field}__isnull": True}) if value == NONE else Q(**{field: value})
        parts.append(labels(key, [value])[value])
    severity = _number(params, "severity", 1, 4, _("severity"))
    if severity is not None:
        q &= Q(severity=severity)
        parts.append(f"S{severity}")
    weekday = _number(params, "weekday", 0, 6, _("weekday"))
    hour = _number(params, "hour", 0, 23, _("hour"))
    if weekday is not None:
        q &= Q(_weekday=weekday + 1)
        parts.append(str(WEEKDAYS[weekday]))
    if hour is not None:
        q &= Q(_hour=hour)
        parts.append(f"{hour:02d}:00–{hour:02d}:59")
    return q, parts, weekday is not None or hour is not None


def _slice_parts(slice: Slice) -> list[str]:
    parts = []
    for dimension in ("branch", "department"):
        value = getattr(slice, dimension)
        if value is not None:
            parts.append(labels(dimension, [value])[value])
    if slice.channel:
        parts.append(str(ChannelKind(slice.channel).label))
    return parts


def drill_cases(params: Mapping[str, Any], *, user: Any) -> tuple[QuerySet[Case], str]:
    """The cases behind a number and a sentence saying what they are.

    Raises PermissionDenied without insights.view_insights, DrillError (a ValueError with a
    message for people) for parameters that make no sense or a period in the future."""
    ensure_can_view_insights(user)
    what = str(params.get("what") or "opened").strip()
    if what not in WHATS:
        raise DrillError(_("Unknown list “%(value)s”.") % {"value": what})
    slice = slice_from_params(params)
    qs = filtered_cases(slice, visible_cases(user))
    if what == "backlog":
        age = _choice(params, "age", ("", *[code for code, _low, _high in AGE_BUCKETS]), _("age"))
        condition = ~Q(stage=Stage.CLOSED) & (age_filter(age) if age else Q())
        sentence = _("Cases open now") if not age else {
            "lt1d": _("Cases open now, opened less than a day ago"),
            "1_3d": _("Cases open now, opened 1 to 3 days ago"),
            "3_7d": _("Cases open now, opened 3 to 7 days ago"),
            "gt7d": _("Cases open now, opened more than 7 days ago"),
        }[age]
        ordering = ["opened_at", "id"]
    else:
        slice.ensure_not_future()
        condition, sentence, ordering = _events(what, slice, params)
    narrowing, parts, by_time = _narrowing(params)
    if by_time:
        qs = qs.annotate(
            _weekday=ExtractIsoWeekDay("opened_at", tzinfo=local_tz()), _hour=ExtractHour("opened_at", tzinfo=local_tz())
        )
    qs = qs.filter(condition & narrowing).select_related(
        "customer", "category", "category__parent", "branch", "department", "assignee"
    ).order_by(*ordering)
    details = _slice_parts(slice) + parts
    if details:
        sentence = f"{sentence} · {' · '.join(details)}"
    return qs, sentence


EXPORT_LIMIT = 10_000


def cases_table(cases: QuerySet[Case], sentence: str, *, limit: int = EXPORT_LIMIT) -> Table:
    """The drill-down list as a table (the first ``limit`` cases), for CSV / XLSX."""
    tz = local_tz()
    rows = []
    for case in cases[:limit]:
        rows.append({
            "number": case.number, "subject": case.subject,
            "opened": timezone.localtime(case.opened_at, tz).replace(tzinfo=None),
            "closed": timezone.localtime(case.closed_at, tz).replace(tzinfo=None) if case.closed_at else None,
            "stage": str(case.get_stage_display()), "severity": f"S{case.severity}" if case.severity else "",
            "safety": _("yes") if case.safety else "",
            "channel": str(case.get_origin_channel_display()),
            "branch": case.branch.label if case.branch else "", "department": case.department.label if case.department else "",
            "category": case.category.label if case.category else "",
            "customer": case.customer.display_name,
            "assignee": (case.assignee.get_full_name() or case.assignee.get_username()) if case.assignee else "",
        })
    return Table(
        name="cases", title=sentence[:80],
        columns=[
            Column("number", _("Case")), Column("subject", _("Subject")), Column("opened", _("Opened")),
            Column("closed", _("Closed")), Column("stage", _("Stage")), Column("severity", _("Severity")),
            Column("safety", _("Personal safety")), Column("channel", _("Channel")), Column("branch", _("Branch")),
            Column("department", _("Department")), Column("category", _("Category")),
            Column("customer", _("Customer")), Column("assignee", _("Assignee")),
        ],
        rows=rows,
    )
