"""A report's numbers: everything a weekly or monthly report shows, gathered once into a
plain, JSON-ready dict (the snapshot stored on the Report).

Responsible for: asking insights (KPIs, trends, breakdowns, heatmap, movers), the radar
(crises, viral risk), cases and SLA (notable cases) for one period and scope, in the
report's language, and writing the narrative from those numbers. The HTML, the PDF, the
archive page and the CSV/XLSX exports are all made from the snapshot alone, so an archived
report always shows what was sent even after the cases change.

Must never: render anything, send anything, or write to the database.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.insights import diagnostics
from tingjian.insights import selectors as insights
from tingjian.insights.tables import Table
from tingjian.org.models import Branch, Department

from . import narrative, notable
from .models import Cadence, ScopeKind
from .periods import Period

logger = logging.getLogger(__name__)

VERSION = 1
# A trend sparkline beside these KPIs in the table (others are shown without one).
SPARK_CODES = ("opened", "safety", "frt_median", "res_median", "reopen_rate", "csat", "nps")
TOP = 10


def weekday_names() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def scope_label(scope: str, branch_id: int | None, department_id: int | None) -> str:
    if scope == ScopeKind.BRANCH and branch_id is not None:
        branch = Branch.objects.filter(pk=branch_id).first()
        return branch.label if branch else _("Branch %(id)s") % {"id": branch_id}
    if scope == ScopeKind.DEPARTMENT and department_id is not None:
        department = Department.objects.filter(pk=department_id).first()
        return department.label if department else _("Department %(id)s") % {"id": department_id}
    return _("The whole company")


def table_data(table: Table) -> dict[str, Any]:
    """A Table as plain data (labels as text), to store and to rebuild for export."""
    return {
        "name": table.name, "title": str(table.title),
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in table.columns],
        "rows": [{k: _plain(v) for k, v in row.items()} for row in table.rows],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _kpis(slice: insights.Slice) -> list[dict[str, Any]]:
    from tingjian.insights.charts import format_value

    rows = []
    for row in insights.kpi_table(slice):
        spark: list[float | None] = []
        if row.code in SPARK_CODES:
            try:
                spark = [value for _day, value in insights.series(row.code, slice, step="day")]
            except Exception:  # a live KPI has no series; the table still shows its value
                spark = []
        rows.append({
            "code": row.code, "label": str(row.label), "unit": row.unit,
            "value": row.value, "display": row.display,
            "previous": row.previous, "previous_display": format_value(row.previous, row.unit),
            "last_year": row.last_year, "change": row.change,
            "target": row.target, "target_display": format_value(row.target, row.unit) if row.target is not None else "",
            "direction": row.direction, "met": row.met, "note": str(row.note or ""),
            "drill_url": row.drill_url, "spark": spark,
        })
    return rows


def _trend(slice: insights.Slice, code: str, label: str, unit: str) -> dict[str, Any]:
    def points(part: insights.Slice) -> list[list[Any]]:
        return [[day.isoformat(), value] for day, value in insights.series(code, part, step="day")]

    return {
        "code": code, "label": label, "unit": unit,
        "current": points(slice), "previous": points(slice.previous()), "last_year": points(slice.last_year()),
    }


def _heatmap(slice: insights.Slice) -> dict[str, Any]:
    grid = insights.heatmap(slice)[0]
    hrefs = [[grid.drill_url(d, h) if grid.counts[d][h] else None for h in range(24)] for d in range(7)]
    return {"counts": grid.counts, "hrefs": hrefs, "total": sum(sum(r) for r in grid.counts)}


def _movers(slice: insights.Slice, by: str) -> list[dict[str, Any]]:
    return [
        {
            "label": str(m.label), "count": m.count, "previous": m.previous, "change": m.change,
            "driver_label": str(m.driver_label), "driver_change": m.driver_change, "drill_url": m.drill_url,
        }
        for m in insights.movers(slice, by=by, limit=5)
    ]


class _ReportReader:
    """Whom the diagnostics count cases for when a report asks: every case in the report's
    scope. A report is made for a scope, not a viewer, and is sent only to people who may
    see all cases' figures (``reports.view_report``)."""

    is_authenticated = True
    is_active = True
    pk = None

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm == "cases.view_all_cases"


def _topics(slice: insights.Slice) -> tuple[list[dict[str, Any]], bool]:
    """Emerging topics of the period, and whether there was enough history to judge."""
    found = diagnostics.emerging_topics(slice, user=_ReportReader(), limit=TOP)
    rows = [
        {
            "term": str(topic.term), "count": topic.count, "baseline": round(topic.baseline, 1),
            "ratio": round(topic.ratio, 1), "url": topic.url,
            "examples": [ref.number for ref in topic.examples],
        }
        for topic in found.topics
    ]
    return rows, found.enough_history


def compose(
    *, period: Period, scope: str = ScopeKind.ALL, branch_id: int | None = None, department_id: int | None = None,
    language: str = "",
) -> dict[str, Any]:
    """The snapshot of one report. Labels and sentences are in ``language``."""
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        slice = insights.Slice(period.start, period.end, branch=branch_id, department=department_id)
        start, end = period.starts_at, period.ends_at
        label = scope_label(scope, branch_id, department_id)
        data: dict[str, Any] = {
            "version": VERSION,
            "cadence": period.cadence,
            "period": {
                "start": period.start.isoformat(), "end": period.end.isoformat(),
                "previous_start": slice.previous().start.isoformat(),
                "previous_end": slice.previous().end.isoformat(),
            },
            "scope": {"kind": scope, "branch": branch_id, "department": department_id, "label": label},
            "language": language,
            "composed_at": clock.now().isoformat(),
            "missing": [],
        }
        data["kpis"] = _kpis(slice)
        data["trend"] = _trend(slice, "opened", _("Cases opened"), "count")
        data["categories"] = table_data(insights.breakdown("category", slice, limit=TOP))
        data["root_causes"] = table_data(insights.breakdown("root_cause", slice, limit=TOP))
        data["heatmap"] = _heatmap(slice)
        # Who grew: branches in a company or department report; categories in a branch's.
        mover_dimension = "category" if scope == ScopeKind.BRANCH else "branch"
        data["movers"] = {"by": mover_dimension, "rows": _movers(slice, mover_dimension)}
        scoped = {"branch_id": branch_id, "department_id": department_id}
        data["notable"] = {
            "safety": notable.safety_cases(start, end, **scoped),
            "breaches": notable.breaches(start, end, **scoped),
            "overrides": notable.overrides(start, end, **scoped),
            "high_risk": notable.high_risk(start, end, **scoped),
        }
        data["topics"], enough_history = _topics(slice)
        if not enough_history:
            data["missing"].append("topics")
        data["crises"] = notable.crises(start, end, branch_label=label if scope == ScopeKind.BRANCH else "")
        data["narrative"] = narrative.sentences(data)
    return data


def title(data: dict[str, Any]) -> str:
    """"Weekly service report · 台中店 · 2026-11-16 – 2026-11-22", in the active language."""
    kind = _("Weekly service report") if data.get("cadence") == Cadence.WEEKLY else _("Monthly service report")
    period = data.get("period", {})
    return f"{kind} · {data.get('scope', {}).get('label', '')} · {period.get('start', '')} – {period.get('end', '')}"

