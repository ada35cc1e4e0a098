"""The cases a report names one by one: personal-safety cases, SLA breaches, overrides and
public complaints at high viral risk, in the report's period and scope.

Responsible for: reading them (cases, SLA clocks, the radar) as plain, JSON-ready rows. It
reads the case and clock tables directly because ``cases.selectors`` and ``sla.selectors``
only offer per-user views, and a report is made for a scope, not for a viewer; nothing here
writes. Must never: put a customer's name, contact or message text in a row (reports leave
the building by email), nor list more than ``LIMIT`` rows of a kind.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tingjian.cases.models import Case, Override
from tingjian.radar import selectors as radar
from tingjian.sla import selectors as sla_selectors
from tingjian.sla.models import Clock

logger = logging.getLogger(__name__)

LIMIT = 10


def _scoped(qs: QuerySet[Any], prefix: str, branch_id: int | None, department_id: int | None) -> QuerySet[Any]:
    if branch_id is not None:
        qs = qs.filter(**{f"{prefix}branch_id": branch_id})
    if department_id is not None:
        qs = qs.filter(**{f"{prefix}department_id": department_id})
    return qs


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _case_row(case: Case, what: str) -> dict[str, Any]:
    return {
        "number": case.number,
        "opened": _local(case.opened_at),
        "category": case.category.label if case.category else "",
        "branch": case.branch.label if case.branch else "",
        "department": case.department.label if case.department else "",
        "what": what,
        "url": reverse("web:case-detail", args=[case.number]),
    }


def _minutes(seconds: float) -> int:
    return int(round(seconds / 60))


def safety_cases(start: datetime, end: datetime, *, branch_id: int | None, department_id: int | None) -> dict[str, Any]:
    """Safety cases opened in [start, end): how many, how many were answered within the
    safety first-response target, and the cases themselves."""
    target_minutes = sla_selectors.current_settings().safety_first_response_minutes
    qs = _scoped(
        Case.objects.filter(safety=True, opened_at__gte=start, opened_at__lt=end), "", branch_id, department_id,
    ).select_related("category", "branch", "department").order_by("opened_at", "id")
    rows: list[dict[str, Any]] = []
    within = answered = 0
    for case in qs:
        if case.first_response_at:
            answered += 1
            minutes = _minutes((case.first_response_at - case.opened_at).total_seconds())
            if minutes <= target_minutes:
                within += 1
            what = _("answered in %(minutes)s min") % {"minutes": minutes}
        else:
            what = _("not answered yet")
        if len(rows) < LIMIT:
            rows.append(_case_row(case, what))
    return {
        "count": qs.count(), "answered": answered, "within_target": within,
        "target_minutes": target_minutes, "rows": rows,
    }


def breaches(start: datetime, end: datetime, *, branch_id: int | None, department_id: int | None) -> dict[str, Any]:
    """SLA clocks that breached in [start, end), one row per case (its first breach)."""
    qs = _scoped(
        Clock.objects.filter(breached_at__gte=start, breached_at__lt=end), "case__", branch_id, department_id,
    ).select_related("case", "case__category", "case__branch", "case__department").order_by("breached_at", "id")
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    count = qs.count()
    for clock in qs[: LIMIT * 4]:
        if clock.case_id in seen or len(rows) >= LIMIT:
            continue
        seen.add(clock.case_id)
        rows.append(_case_row(clock.case, _("%(clock)s breached at %(at)s") % {
            "clock": clock.get_kind_display(), "at": _local(clock.breached_at),
        }))
    cases = qs.order_by().values("case_id").distinct().count()
    return {"count": count, "cases": cases, "rows": rows}


def overrides(start: datetime, end: datetime, *, branch_id: int | None, department_id: int | None) -> dict[str, Any]:
    """Overrides (guards forced past) made in [start, end)."""
    qs = _scoped(
        Override.objects.filter(at__gte=start, at__lt=end), "case__", branch_id, department_id,
    ).select_related("case", "case__category", "case__branch", "case__department").order_by("at", "id")
    rows = [
        _case_row(item.case, _("%(from)s → %(to)s past %(guards)s") % {
            "from": item.from_stage, "to": item.to_stage,
            "guards": ", ".join(str(g) for g in item.failed_guards) or "—",
        })
        for item in qs[:LIMIT]
    ]
    return {"count": qs.count(), "rows": rows}


def high_risk(start: datetime, end: datetime, *, branch_id: int | None, department_id: int | None) -> dict[str, Any]:
    """Public complaints the radar scores at high viral risk, opened in the period and scope.

    ``radar.selectors.high_risk_cases`` knows nothing of scopes, so its case numbers are
    looked up here and kept when they are in the scope.
    """
    # Peaks since the period began; a case opened after it ended is not this report's.
    views = radar.high_risk_cases(since=start, limit=50)
    numbers = [view.case_number for view in views]
    cases = {
        case.number: case
        for case in _scoped(
            Case.objects.filter(number__in=numbers, opened_at__lt=end), "", branch_id, department_id,
        ).select_related("category", "branch", "department")
    }
    rows = []
    for view in views:
        case = cases.get(view.case_number)
        if case is None:
            continue
        row = _case_row(case, _("risk %(score)s: %(reasons)s") % {
            "score": round(float(view.score)), "reasons": "; ".join(str(r) for r in view.reasons[:3]),
        })
        row["url"] = view.url or row["url"]
        rows.append(row)
    return {"count": len(rows), "rows": rows[:LIMIT]}


def crises(start: datetime, end: datetime, *, branch_label: str = "") -> list[dict[str, Any]]:
    """Crisis events (spikes) that started in [start, end). A branch's report leaves out
    spikes of other branches; spikes of a category, product or channel concern everyone."""
    rows = []
    for view in radar.crises_between(start, end):
        if branch_label and view.dimension == "branch" and str(view.label) != branch_label:
            continue
        rows.append({
            "title": str(view.title), "started": _local(view.started_at), "dimension": str(view.dimension),
            "label": str(view.label), "count": view.count, "baseline": view.baseline, "url": view.url,
        })
    return rows

