"""The per-10,000 figures and the diagnostics in REST API v1 (read-only), under /insights.

``GET /rates?month=YYYY-MM[&version=N]``: every branch's live figure beside a published
version (the latest unless ``version``) and the disputes. ``GET /diagnostics/{table}`` with the
slice parameters of the other insights endpoints (``period`` or ``start``/``end``, ``branch``,
``department``, ``channel``) and the table's own: each diagnostic table exactly as the pages
show and export it. insights.view_insights is required (403); nonsense is 422.

Publishing, disputes and denominators are written on the pages, where a person sees what
they change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from . import diagnostics
from .models import Publication
from .rates import figures, months
from .selectors import PeriodError, Slice, ensure_can_view_insights, slice_from_params
from .tables import Table

router = Router()


class FigureOut(Schema):
    complaints: int
    denominator: int | None = Field(description="customers or transactions; null: no denominator")
    basis: str = Field(description="customers or transactions; empty without a denominator")
    rate: float | None = Field(description="complaints per 10,000; null when there is no denominator")
    note: str


class DisputeOut(Schema):
    id: int
    version: int
    status: str = Field(description="open, accepted (a correction is due) or rejected")
    text: str
    filed_by: str
    filed_at: datetime
    answer: str
    answered_at: datetime | None


class RateRowOut(Schema):
    branch: int
    code: str
    label: str
    live: FigureOut
    published: FigureOut | None = Field(description="as frozen in the version shown; null if it was not in it")
    disputes: list[DisputeOut]


class VersionOut(Schema):
    version: int
    published_at: datetime
    published_by: str
    reason: str


class RatesOut(Schema):
    month: str
    is_over: bool = Field(description="only a month that is over can be published")
    version: int | None = Field(description="the version shown; null when not published")
    versions: list[VersionOut]
    rows: list[RateRowOut]


class RatesQuery(Schema):
    month: str = Field("", max_length=7, description="YYYY-MM; the last month that is over when empty")
    version: int | None = Field(None, ge=1, description="a published version; the latest when empty")


def _figure(figure: figures.Figure) -> dict[str, Any]:
    return {
        "complaints": figure.complaints, "denominator": figure.denominator, "basis": figure.basis,
        "rate": figure.rate, "note": figure.note,
    }


@router.get("/rates", response=RatesOut, summary="Complaints per 10,000 of a month: live, published, disputed")
def rates(request: HttpRequest, params: Query[RatesQuery]) -> dict[str, Any]:
    ensure_can_view_insights(request.auth)  # type: ignore[attr-defined]
    month = months.parse_month(params.month) if params.month else months.previous_month(months.current_month())
    if month is None:
        raise ValidationError(_("“%(month)s” is not a month (YYYY-MM).") % {"month": params.month[:20]})
    try:
        view = figures.month_view(month, params.version)
    except Publication.DoesNotExist:
        raise ValidationError(_("No such version.")) from None
    return {
        "month": months.month_text(month), "is_over": view.is_over,
        "version": view.publication.version if view.publication else None,
        "versions": [
            {"version": p.version, "published_at": p.published_at, "published_by": p.published_by.get_username(), "reason": p.reason}
            for p in view.versions
        ],
        "rows": [
            {
                "branch": row.live.branch_id, "code": row.live.code, "label": row.live.label,
                "live": _figure(row.live), "published": _figure(row.published) if row.published else None,
                "disputes": [
                    {
                        "id": d.pk, "version": d.publication.version, "status": d.status, "text": d.text,
                        "filed_by": d.filed_by.get_username(), "filed_at": d.filed_at, "answer": d.answer,
                        "answered_at": d.answered_at,
                    }
                    for d in row.disputes
                ],
            }
            for row in view.rows
        ],
    }


class DiagnosticsQuery(Schema):
    period: str = Field("", max_length=20, description="this_week, last_week, this_month, last_month, last_30_days")
    start: str = Field("", max_length=10, description="first local day, YYYY-MM-DD (instead of period)")
    end: str = Field("", max_length=10, description="last local day, YYYY-MM-DD, inclusive")
    branch: str = Field("", max_length=12, description="a branch id; -1 for cases with no branch")
    department: str = Field("", max_length=12, description="a department id; -1 for cases with no department")
    channel: str = Field("", max_length=20, description="a channel kind (phone, line, email…)")
    window: str = Field("week", max_length=4, description="root-causes: week or day")
    days: int = Field(30, ge=1, le=365, description="repeat-customers: again within this many days")
    baseline: int = Field(6, ge=4, le=8, description="topics: earlier periods of the same length to compare with")
    min_count: int = Field(3, ge=1, le=1000, description="topics: the fewest cases a term needs")
    by: str = Field("branch", max_length=6, description="survey-warning: branch or agent")


class ColumnOut(Schema):
    key: str
    label: str
    kind: str = Field(description="text, int, float, percent (0–1) or seconds")


class TableOut(Schema):
    start: date
    end: date
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


TABLES: dict[str, Callable[[Slice, DiagnosticsQuery, Any], Table]] = {
    "root-causes": lambda s, q, u: diagnostics.cooccurrence(s, user=u, window=q.window).table(),
    "category-root-causes": lambda s, q, u: diagnostics.category_root_causes(s, user=u).table(),
    "repeat-customers": lambda s, q, u: diagnostics.repeat_customers(s, user=u, days=q.days).table(),
    "corrective-actions": lambda s, q, u: diagnostics.corrective_actions_not_held(s, user=u).table(),
    "topics": lambda s, q, u: diagnostics.emerging_topics(s, user=u, baseline_periods=q.baseline, min_count=q.min_count).table(),
    "survey-warning": lambda s, q, u: diagnostics.survey_warning(s, user=u, by=q.by).table(),
}


@router.get("/diagnostics/{table}", response=TableOut, summary="A diagnostics table, as the pages show and export it")
def diagnostics_table(request: HttpRequest, table: str, params: Query[DiagnosticsQuery]) -> dict[str, Any]:
    """``table``: root-causes, category-root-causes, repeat-customers, corrective-actions,
    topics or survey-warning."""
    user = request.auth  # type: ignore[attr-defined]
    ensure_can_view_insights(user)
    maker = TABLES.get(table)
    if maker is None:
        raise ValidationError(_("Unknown table “%(table)s”; choose one of %(tables)s.") % {"table": table[:40], "tables": ", ".join(TABLES)})
    try:
        slice = slice_from_params(params.dict(), default="last_30_days")
        slice.ensure_not_future()
        result = maker(slice, params, user)
    except (PeriodError, ValueError) as exc:
        raise ValidationError(str(exc)) from None
    return {
        "start": slice.start, "end": slice.end, "title": result.title,
        "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in result.columns],
        "rows": [
            {key: (value.isoformat() if isinstance(value, datetime | date) else value) for key, value in row.items()}
            for row in result.rows
        ],
    }
