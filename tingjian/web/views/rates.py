"""The per-10,000 pages: the month's figures (live beside published, versions, disputes),
publishing, disputes and their answers, the denominators grid and its CSV import.

Thin: read through ``insights.rates.figures``, write through ``denominators`` and
``publishing``, which check the permissions again. A refused change shows why and changes
nothing (status 422).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.insights.models import Basis, Dispute, DisputeStatus, Publication
from tingjian.insights.rates import csvfile, denominators, figures, months, publishing
from tingjian.insights.rates.csvfile import DenominatorsRejected
from tingjian.insights.selectors import ensure_can_view_insights
from tingjian.insights.tables import export

PER_PAGE = 50
MONTHS_SHOWN = 24
FORMATS = ("csv", "xlsx")


class PublishForm(forms.Form):
    month = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Why a new version"), required=False, max_length=publishing.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Needed for a correction: the branches read it beside the new figures."),
    )


class DisputeForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("What is wrong with this figure"), max_length=publishing.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), widget=forms.RadioSelect,
        choices=[("accept", gettext_lazy("Accept: a correction is due")), ("reject", gettext_lazy("Reject: the figure stands"))],
    )
    answer = forms.CharField(label=gettext_lazy("Answer"), max_length=publishing.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4}))


class ImportForm(forms.Form):
    upload = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv"}),
    )


def _month(request: HttpRequest, source: Any = None) -> date:
    """The month asked for (default: the last month that is over); 404 for nonsense."""
    raw = (source if source is not None else request.GET).get("month", "")
    if not raw:
        return months.previous_month(months.current_month())
    month = months.parse_month(raw)
    if month is None:
        raise Http404(_("“%(month)s” is not a month (YYYY-MM).") % {"month": raw[:20]})
    return month


def _version(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404(_("No such version.")) from None


def _month_choices(selected: date) -> list[tuple[str, str, bool]]:
    shown = months.recent_months(MONTHS_SHOWN)
    if selected not in shown:
        shown.append(selected)
    versions = figures.month_versions(shown)
    choices = []
    for month in sorted(shown, reverse=True):
        label = months.month_text(month)
        if month in versions:
            label = _("%(month)s · published v%(version)s") % {"month": label, "version": versions[month]}
        choices.append((months.month_text(month), label, month == selected))
    return choices


def _rates_page(request: HttpRequest, month: date, *, version: int | None = None, publish_form: PublishForm | None = None, status: int = 200) -> HttpResponse:
    try:
        view = figures.month_view(month, version)
    except Publication.DoesNotExist:
        raise Http404(_("No such version.")) from None
    user = request.user
    may_publish = user.has_perm(publishing.PUBLISH_PERMISSION)
    context = {
        "view": view, "month_text": months.month_text(month), "month_choices": _month_choices(month),
        "may_publish": may_publish and view.is_over,
        "may_dispute": user.has_perm(publishing.DISPUTE_PERMISSION),
        "may_answer": may_publish,
        "may_change_denominators": user.has_perm(denominators.CHANGE_PERMISSION),
        "publish_form": publish_form or PublishForm(initial={"month": months.month_text(month)}),
        "next_version": (view.latest.version + 1) if view.latest else 1,
        "is_current": month == months.current_month(),
        "is_future": month > months.current_month(),
    }
    return render(request, "web/rates/rates.html", context, status=status)


@require_GET
def rates_page(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    return _rates_page(request, _month(request), version=_version(request))


@require_GET
def rates_export(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404(_("Export as csv or xlsx."))
    try:
        view = figures.month_view(_month(request), _version(request))
    except Publication.DoesNotExist:
        raise Http404(_("No such version.")) from None
    content, content_type, filename = export(figures.rates_table(view), fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
def rates_publish(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    if not request.user.has_perm(publishing.PUBLISH_PERMISSION):
        raise PermissionDenied(_("You may not publish the per-10,000 figures."))
    form = PublishForm(request.POST)
    month = _month(request, request.POST)
    if form.is_valid():
        try:
            publication = publishing.publish(month, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            for key, texts in errors.items():
                form.add_error("reason" if key == "reason" else None, texts)
        else:
            messages.success(request, _("%(month)s published as version %(version)s.") % {"month": months.month_text(month), "version": publication.version})
            return redirect(f"{reverse('web:rates')}?month={months.month_text(month)}")
    return _rates_page(request, month, publish_form=form, status=422)


@require_GET
def rate_cases(request: HttpRequest) -> HttpResponse:
    """The cases counted in one branch's live figure."""
    ensure_can_view_insights(request.user)
    month = _month(request)
    try:
        branch_id = int(request.GET.get("branch", ""))
    except ValueError:
        raise Http404(_("Choose a branch.")) from None
    cases = figures.cases_behind(month, branch_id, user=request.user)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    label = next((f.label for f in figures.live_figures(month) if f.branch_id == branch_id), "")
    sentence = _("Complaints counted for %(branch)s in %(month)s (spam and duplicates are not counted)") % {"branch": label, "month": months.month_text(month)}
    return render(request, "web/rates/cases.html", {
        "page": page, "cases": list(page.object_list), "sentence": sentence, "query": query.urlencode(),
        "back": f"{reverse('web:rates')}?month={months.month_text(month)}",
    })


# ------------------------------------------------------------------------------- disputes


def _publication_or_404(pk: int) -> Publication:
    try:
        return Publication.objects.select_related("published_by").get(pk=pk)
    except Publication.DoesNotExist:
        raise Http404(_("No such publication.")) from None


@require_http_methods(["GET", "POST"])
def dispute_new(request: HttpRequest, pk: int, branch_id: int) -> HttpResponse:
    ensure_can_view_insights(request.user)
    if not request.user.has_perm(publishing.DISPUTE_PERMISSION):
        raise PermissionDenied(_("You may not dispute the per-10,000 figures."))
    publication = _publication_or_404(pk)
    figure = next((f for f in figures.published_figures(publication) if f.branch_id == branch_id), None)
    if figure is None:
        raise Http404(_("This branch has no figure in that publication."))
    form = DisputeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                publishing.file_dispute(publication, branch_id=branch_id, text=form.cleaned_data["text"], by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Your dispute is recorded beside the figure; the publishers were told."))
                return redirect(f"{reverse('web:rates')}?month={months.month_text(publication.month)}#branch-{branch_id}")
        status = 422
    return render(request, "web/rates/dispute.html", {
        "form": form, "publication": publication, "figure": figure, "month_text": months.month_text(publication.month),
    }, status=status)


@require_http_methods(["GET", "POST"])
def dispute_answer(request: HttpRequest, pk: int) -> HttpResponse:
    ensure_can_view_insights(request.user)
    try:
        dispute: Dispute = figures.dispute(pk)
    except Dispute.DoesNotExist:
        raise Http404(_("No such dispute.")) from None
    publishing.ensure_may_answer(dispute, request.user)
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                publishing.answer_dispute(
                    dispute, accept=form.cleaned_data["decision"] == "accept", answer=form.cleaned_data["answer"], by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("The dispute is answered; the manager who filed it was told."))
                return redirect(f"{reverse('web:rates')}?month={months.month_text(dispute.publication.month)}#branch-{dispute.branch_id}")
        status = 422
    return render(request, "web/rates/answer.html", {
        "form": form, "dispute": dispute, "is_open": dispute.status == DisputeStatus.OPEN,
        "month_text": months.month_text(dispute.publication.month),
    }, status=status)


# --------------------------------------------------------------------------- denominators


def _year(request: HttpRequest, source: Any = None) -> int:
    raw = (source if source is not None else request.GET).get("year", "")
    if not raw:
        return denominators.now_year()
    try:
        year = int(raw)
    except ValueError:
        year = 0
    if not 2000 <= year <= 2100:
        raise Http404(_("Choose a year from 2000 to 2100."))
    return year


def _denominators_page(
    request: HttpRequest, year: int, *, typed: dict[str, str] | None = None, problems: list[str] | None = None,
    import_problems: list[str] | None = None, import_form: ImportForm | None = None, status: int = 200,
    wrong: set[str] | None = None,
) -> HttpResponse:
    latest = months.current_month()
    grid = figures.denominator_grid(year)
    rows = []
    for row in grid:
        cells = []
        for index, value in enumerate(row.values, start=1):
            name = f"cell-{row.branch.pk}-{index}"
            shown = typed.get(name, "") if typed is not None else ("" if value is None else str(value))
            cells.append({
                "name": name, "value": shown, "future": date(year, index, 1) > latest,
                "wrong": name in (wrong or ()), "month": date(year, index, 1),
            })
        basis = typed.get(f"basis-{row.branch.pk}", row.basis) if typed is not None else row.basis
        rows.append({"branch": row.branch, "basis_name": f"basis-{row.branch.pk}", "basis": basis, "cells": cells})
    return render(request, "web/rates/denominators.html", {
        "year": year, "years": list(range(denominators.now_year(), denominators.now_year() - 6, -1)),
        "month_starts": [date(year, m, 1) for m in range(1, 13)],
        "rows": rows, "bases": Basis.choices, "problems": problems or [], "import_problems": import_problems or [],
        "import_form": import_form or ImportForm(), "may_change": request.user.has_perm(denominators.CHANGE_PERMISSION),
        "max_rows": csvfile.MAX_ROWS,
    }, status=status)


@require_http_methods(["GET", "POST"])
def denominators_page(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    if request.method == "GET":
        return _denominators_page(request, _year(request))
    denominators.ensure_may_change(request.user)
    year = _year(request, request.POST)
    cells: dict[tuple[int, int], str] = {}
    bases: dict[int, str] = {}
    posted = {name: str(request.POST.get(name, "")) for name in request.POST}
    for name, value in posted.items():
        parts = name.split("-")
        try:
            if parts[0] == "cell" and len(parts) == 3:
                cells[(int(parts[1]), int(parts[2]))] = value
            elif parts[0] == "basis" and len(parts) == 2:
                bases[int(parts[1])] = value
        except ValueError:
            continue
    try:
        outcome = denominators.save_grid(year, cells, bases, by=request.user)
    except DenominatorsRejected as exc:
        typed = {k: v for k, v in posted.items() if k.startswith(("cell-", "basis-"))}
        return _denominators_page(
            request, year, typed=typed, problems=[str(p) for p in exc.problems], status=422,
            wrong={p.field for p in exc.problems if p.field},
        )
    if outcome.changed:
        messages.success(request, _("Saved: %(created)s new, %(replaced)s changed, %(removed)s removed.") % {
            "created": outcome.created, "replaced": outcome.replaced, "removed": outcome.removed,
        })
    else:
        messages.info(request, _("Nothing changed."))
    return redirect(f"{reverse('web:rates-denominators')}?year={year}")


@require_POST
def denominators_import(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    denominators.ensure_may_change(request.user)
    year = _year(request, request.POST)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _denominators_page(request, year, import_form=form, status=422)
    try:
        outcome = denominators.import_csv(form.cleaned_data["upload"].read(), by=request.user)
    except DenominatorsRejected as exc:
        problems = [str(p) for p in exc.problems]
        return _denominators_page(request, year, import_problems=problems, import_form=form, status=422)
    messages.success(request, _("Imported: %(created)s new, %(replaced)s replaced, %(unchanged)s unchanged.") % {
        "created": outcome.created, "replaced": outcome.replaced, "unchanged": outcome.unchanged,
    })
    return redirect(f"{reverse('web:rates-denominators')}?year={year}")


@require_GET
def denominators_sample(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    response = HttpResponse(("\ufeff" + csvfile.sample()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="denominators.csv"'
    return response
