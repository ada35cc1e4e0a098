"""The service reports' pages: the archive, one report (HTML, PDF, table exports), the
schedules, and a preview.

Reading needs ``reports.view_report``; schedules need ``reports.change_schedule`` (checked
here before anything is read, and again by the services). Reports are made and rendered to
PDF by the tasks; a request only reads them — except the preview, which composes the HTML
of a period on demand and never makes a PDF.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.insights.tables import export
from tingjian.reports import compose, on_demand, selectors, services
from tingjian.reports import render as report_render
from tingjian.reports.delivery import filename
from tingjian.reports.forms import ArchiveFilterForm, PreviewForm, ScheduleForm
from tingjian.reports.models import Report, Schedule

from ..service_errors import add_to_form

PER_PAGE = 25
VIEW = services.VIEW_PERMISSION
CHANGE = services.CHANGE_PERMISSION


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        if permission == CHANGE:
            raise PermissionDenied(_("Only managers, executives and administrators may change report schedules."))
        raise PermissionDenied(_("Only managers, executives and administrators may read service reports."))


def _report_or_404(pk: int, *, with_pdf: bool = False) -> Report:
    try:
        return selectors.report(pk, with_pdf=with_pdf)
    except Report.DoesNotExist as exc:
        raise Http404(_("No such report.")) from exc


@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form = ArchiveFilterForm(request.GET)
    found = selectors.archive(cadence=form.value("cadence"), scope=form.value("scope"))
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/reports/list.html", {
        "form": form, "page": page, "query": query.urlencode(), "section": "archive",
        "may_change": request.user.has_perm(CHANGE),
    })


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    report = _report_or_404(pk)
    # The archived report reads as it was sent: in its own language.
    with translation.override(report.language):
        context = report_render.context(report.data, absolute=False)
        title = compose.title(report.data)
    return render(request, "web/reports/detail.html", {
        **context, "report": report, "report_title": title, "tables": report_render.TABLES,
        "deliveries": selectors.deliveries_of(report) if request.user.has_perm(CHANGE) else None,
        "section": "archive", "may_change": request.user.has_perm(CHANGE),
    })


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, VIEW)
    report = _report_or_404(pk, with_pdf=True)
    if not report.pdf:
        raise Http404(_("This report has no PDF."))
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(report)}"'
    return response


@require_GET
def report_export(request: HttpRequest, pk: int, table: str, fmt: str) -> HttpResponse:
    _require(request, VIEW)
    report = _report_or_404(pk)
    found = report_render.table(report.data, table) if table in report_render.TABLES else None
    if found is None:
        raise Http404(_("This report has no such table."))
    try:
        content, content_type, name = export(found, fmt)
    except ValueError as exc:
        raise Http404(_("Export as csv or xlsx.")) from exc
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def report_preview(request: HttpRequest) -> HttpResponse:
    _require(request, VIEW)
    form = PreviewForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "section": "preview"}
    if request.GET and form.is_valid():
        try:
            period, data = on_demand.preview(
                user=request.user, cadence=form.cleaned_data["cadence"], day=form.day(),
                scope=form.cleaned_data.get("scope") or "all", language=form.cleaned_data.get("language") or "",
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        except ValueError as exc:  # insights refuses a period it cannot show, with a message for people
            form.add_error(None, str(exc))
        else:
            with translation.override(data["language"]):
                context.update(report_render.context(data, absolute=False))
                context["report_title"] = compose.title(data)
            context["previewed"] = True
    status = 422 if form.errors else 200
    return render(request, "web/reports/preview.html", context, status=status)


# ------------------------------------------------------------------------------ schedules


def _schedules_page(request: HttpRequest, form: ScheduleForm, status: int = 200) -> HttpResponse:
    return render(request, "web/reports/schedules.html", {
        "form": form, "schedules": selectors.schedules(), "section": "schedules",
    }, status=status)


def _save(request: HttpRequest, form: ScheduleForm, schedule: Schedule | None) -> Schedule | None:
    if not form.is_valid():
        return None
    try:
        return services.save_schedule(by=request.user, schedule=schedule, **form.values())
    except ValidationError as exc:
        add_to_form(form, exc)
        return None


@require_http_methods(["GET", "POST"])
def schedule_list(request: HttpRequest) -> HttpResponse:
    _require(request, CHANGE)
    if request.method == "GET":
        return _schedules_page(request, ScheduleForm())
    form = ScheduleForm(request.POST)
    if _save(request, form, None) is None:
        return _schedules_page(request, form, status=422)
    messages.success(request, _("Schedule added: the first report goes out at its next due time."))
    return redirect("web:report-schedules")


@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CHANGE)
    try:
        schedule = selectors.schedule(pk)
    except Schedule.DoesNotExist as exc:
        raise Http404(_("No such schedule.")) from exc
    form = ScheduleForm(request.POST) if request.method == "POST" else ScheduleForm.for_schedule(schedule)
    if request.method == "POST" and _save(request, form, schedule) is not None:
        messages.success(request, _("Schedule saved."))
        return redirect("web:report-schedules")
    status = 422 if form.errors else 200
    return render(request, "web/reports/schedule_form.html", {
        "form": form, "schedule": schedule, "section": "schedules",
    }, status=status)


@require_POST
def schedule_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CHANGE)
    try:
        schedule = selectors.schedule(pk)
    except Schedule.DoesNotExist as exc:
        raise Http404(_("No such schedule.")) from exc
    services.deactivate_schedule(schedule, by=request.user)
    messages.success(request, _("Schedule stopped; the reports already sent stay in the archive."))
    return redirect("web:report-schedules")
