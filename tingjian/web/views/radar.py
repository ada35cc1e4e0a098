"""The crisis radar pages (``radar.view_radar``): open crises with their evidence, the public
posts nobody answered yet, and the cases by viral risk.

Thin: the radar's selectors read (scoped to the cases the reader may see), its services
acknowledge and close (``radar.receive_crisis_alerts``, audited); every table also leaves
as CSV or XLSX (``insights.tables``). The hourly chart is a small server-side SVG.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tingjian import clock
from tingjian.insights.tables import Column, Table, export
from tingjian.radar import selectors, services, virality
from tingjian.radar.models import CrisisEvent

PER_PAGE = 25
EXPORT_LIMIT = 5000
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 480, 130, 22


def _may_view(request: HttpRequest) -> Any:
    if not selectors.may_view(request.user):
        raise PermissionDenied(_("You may not see the crisis radar."))
    return request.user


def _download(request: HttpRequest, table: Table) -> HttpResponse | None:
    fmt = request.GET.get("format", "")
    if not fmt:
        return None
    try:
        content, content_type, filename = export(table, fmt)
    except ValueError:
        messages.error(request, _("Unknown export format %(f)s; use csv or xlsx.") % {"f": fmt[:10]})
        return redirect(request.path)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _age_words(minutes: int) -> str:
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(h)s h %(m)s min") % {"h": minutes // 60, "m": minutes % 60}
    return _("%(d)s days") % {"d": minutes // (24 * 60)}


def chart(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars (complaints per hour) and a line (the usual count), in SVG coordinates."""
    if not series:
        return {}
    top = max([float(p.get("observed") or 0) for p in series] + [float(p.get("baseline") or 0) for p in series] + [1.0])
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    step = inner_w / len(series)
    zone = timezone.get_current_timezone()
    bars, line, ticks = [], [], []
    for i, point in enumerate(series):
        observed = int(point.get("observed") or 0)
        at = datetime.fromisoformat(str(point["at"])).astimezone(zone)
        height = inner_h * observed / top
        x = CHART_PAD + i * step
        bars.append({
            "x": round(x + step * 0.15, 1), "y": round(CHART_PAD + inner_h - height, 1),
            "w": round(step * 0.7, 1), "h": round(height, 1), "n": observed, "hour": f"{at:%H}:00",
            "baseline": point.get("baseline"),
        })
        if point.get("baseline") is not None:
            y = CHART_PAD + inner_h - inner_h * float(point["baseline"]) / top
            line.append(f"{round(x + step / 2, 1)},{round(y, 1)}")
        if i % 6 == 0 or i == len(series) - 1:
            ticks.append({"x": round(x + step / 2, 1), "label": f"{at:%H}"})
    return {
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars, "line": " ".join(line), "ticks": ticks,
        "top": int(top) if top == int(top) else round(top, 1), "top_y": CHART_PAD, "base_y": CHART_PAD + inner_h,
        "tick_y": CHART_HEIGHT - 6, "left": CHART_PAD, "right": CHART_WIDTH - CHART_PAD,
    }


def _crisis_table(events: list[CrisisEvent]) -> Table:
    rows = [
        {
            "started": timezone.localtime(e.started_at).replace(tzinfo=None), "dimension": e.get_dimension_display(),
            "label": e.label, "peak": e.peak_observed, "latest": e.observed, "baseline": e.baseline,
            "p_value": e.p_value, "safety": _("yes") if e.safety else "", "status": e.get_status_display(),
            "acknowledged_by": e.acknowledged_by.get_username() if e.acknowledged_by else "",
            "part_of": e.story_id or "", "id": e.pk,
        }
        for e in events
    ]
    return Table(name="crises", title=_("Crises"), rows=rows, columns=[
        Column("id", _("Crisis"), "int"), Column("part_of", _("Part of crisis")), Column("started", _("Started")), Column("dimension", _("Dimension")), Column("label", _("What")),
        Column("peak", _("Most in an hour"), "int"), Column("latest", _("Latest hour"), "int"),
        Column("baseline", _("Usual"), "float"), Column("p_value", _("p-value"), "float"),
        Column("safety", _("Personal safety")), Column("status", _("Status")),
        Column("acknowledged_by", _("Acknowledged by")),
    ])


@require_GET
def crises(request: HttpRequest) -> HttpResponse:
    user = _may_view(request)
    live = list(selectors.live_crises())
    closed = list(selectors.recently_closed()[:20])
    related = [r for e in live for r in getattr(e, "live_related", [])]
    download = _download(request, _crisis_table(live + related + closed))
    if download is not None:
        return download
    examples = selectors.visible_examples(user, live + closed)
    cards = [
        {
            "event": e, "title": selectors.crisis_title(e), "chart": chart(e.series or []),
            "examples": [examples[pk] for pk in e.example_case_ids or [] if pk in examples],
            "hidden": sum(1 for pk in e.example_case_ids or [] if pk not in examples),
            "related": getattr(e, "live_related", []),
        }
        for e in live
    ]
    return render(request, "web/radar/crises.html", {
        "cards": cards, "closed": closed, "may_act": selectors.may_act(user), "section": "crises",
    })


def _crisis(pk: int) -> CrisisEvent:
    try:
        return selectors.crisis(pk)
    except CrisisEvent.DoesNotExist as exc:
        raise Http404(_("No such crisis.")) from exc


@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _may_view(request)
    event = _crisis(pk)
    try:
        services.acknowledge(event, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You acknowledged the crisis: the others see that you took it."))
    return redirect(f"{reverse('web:radar')}#crisis-{event.pk}")


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    _may_view(request)
    event = _crisis(pk)
    try:
        services.close(event, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('web:radar')}#crisis-{event.pk}")
    messages.success(request, _("The crisis is closed."))
    return redirect("web:radar")


def _unanswered_table(rows: list[Any], now: datetime) -> Table:
    return Table(name="unanswered-public-posts", title=_("Unanswered public posts"), columns=[
        Column("sent_at", _("Posted")), Column("age_minutes", _("Waiting (minutes)"), "int"),
        Column("case", _("Case")), Column("channel", _("Channel")), Column("reach", _("Reach"), "int"),
        Column("risk", _("Viral risk"), "int"), Column("text", _("Message")),
    ], rows=[
        {
            "sent_at": timezone.localtime(m.sent_at).replace(tzinfo=None),
            "age_minutes": int((now - m.sent_at).total_seconds() // 60), "case": m.case.number,
            "channel": m.get_channel_display(), "reach": m.author_reach, "risk": m.risk, "text": m.body[:500],
        }
        for m in rows
    ])


@require_GET
def unanswered(request: HttpRequest) -> HttpResponse:
    user = _may_view(request)
    now = clock.now()
    posts = selectors.unanswered_messages(user)
    if request.GET.get("format"):
        download = _download(request, _unanswered_table(list(posts[:EXPORT_LIMIT]), now))
        assert download is not None
        return download
    page = Paginator(posts, PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"message": m, "age": _age_words(int((now - m.sent_at).total_seconds() // 60))} for m in page.object_list]
    context = {"page": page, "rows": rows, "query": "", "section": "unanswered", "threshold": services.threshold()}
    template = "web/radar/partials/unanswered_results.html" if getattr(request, "htmx", False) else "web/radar/unanswered.html"
    return render(request, template, context)


def _risk_table(rows: list[Any]) -> Table:
    return Table(name="viral-risk", title=_("Viral risk"), columns=[
        Column("case", _("Case")), Column("subject", _("Subject")), Column("score", _("Viral risk"), "int"),
        Column("reasons", _("Why")), Column("unanswered_since", _("Unanswered since")),
        Column("computed_at", _("Computed")),
    ], rows=[
        {
            "case": r.case.number, "subject": r.case.subject, "score": r.score,
            "reasons": "; ".join(virality.describe_all(r.reasons)),
            "unanswered_since": timezone.localtime(r.unanswered_since).replace(tzinfo=None) if r.unanswered_since else None,
            "computed_at": timezone.localtime(r.computed_at).replace(tzinfo=None),
        }
        for r in rows
    ])


@require_GET
def risk(request: HttpRequest) -> HttpResponse:
    user = _may_view(request)
    raw = request.GET.get("min", "").strip()
    min_score = 0
    if raw:
        if raw.isdigit() and 0 <= int(raw) <= 100:
            min_score = int(raw)
        else:
            messages.error(request, _("The lowest score is a whole number from 0 to 100; showing every score."))
    rows = selectors.risk_rows(user, min_score=min_score)
    if request.GET.get("format"):
        download = _download(request, _risk_table(list(rows[:EXPORT_LIMIT])))
        assert download is not None
        return download
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    items = [{"row": r, "reasons": virality.describe_all(r.reasons)} for r in page.object_list]
    query = f"min={min_score}" if min_score else ""
    context = {
        "page": page, "items": items, "query": query, "min_score": min_score, "section": "risk",
        "threshold": services.threshold(),
    }
    template = "web/radar/partials/risk_results.html" if getattr(request, "htmx", False) else "web/radar/risk.html"
    return render(request, template, context)
