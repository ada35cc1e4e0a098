"""The administrators' SLA editors: targets, business calendars and the SLA settings.

Each page is refused (403) to anyone without its permission before anything is read, and
each write goes through a service that checks it again (``sla.targets``, ``sla.calendars``).
A refused change re-renders the page with the reasons beside what was typed, having
changed nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian import clock as wall_clock
from tingjian.cases.models import ChannelKind, Stage
from tingjian.sla import calendars as calendar_services
from tingjian.sla import selectors
from tingjian.sla import targets as target_services
from tingjian.sla.models import BusinessCalendar, Target
from tingjian.sla.targets import SETTINGS_PERMISSION, TARGET_PERMISSION

from ..service_errors import add_to_form, as_text
from ..sla_display import hours_summary, minutes_text
from ..sla_forms import (
    BranchForm,
    CalendarForm,
    HolidayForm,
    HolidayImportForm,
    HoursForm,
    SettingsForm,
    TargetForm,
)

CALENDAR_PERMISSION = calendar_services.PERMISSION
SECTIONS = (
    ("targets", TARGET_PERMISSION, "web:sla-admin-targets"),
    ("calendars", CALENDAR_PERMISSION, "web:sla-admin-calendars"),
    ("settings", SETTINGS_PERMISSION, "web:sla-admin-settings"),
)
YEARS = range(2000, 2101)


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(_("Only administrators may change the SLA rules."))


def _context(request: HttpRequest, section: str, **extra: Any) -> dict[str, Any]:
    tabs = [(name, url) for name, permission, url in SECTIONS if request.user.has_perm(permission)]
    return {"section": section, "sla_tabs": [name for name, _url in tabs], **extra}


@require_GET
def sla_admin(request: HttpRequest) -> HttpResponse:
    """The nav's "SLA" link: the first editor this administrator may use."""
    for _name, permission, url in SECTIONS:
        if request.user.has_perm(permission):
            return redirect(url)
    raise PermissionDenied(_("Only administrators may change the SLA rules."))


# ---------------------------------------------------------------------------------- targets


def _target_or_404(pk: int) -> Target:
    try:
        return selectors.target(pk)
    except Target.DoesNotExist as exc:
        raise Http404(_("No such target.")) from exc


def _targets_page(request: HttpRequest, form: TargetForm, status: int = 200) -> HttpResponse:
    rows = [
        {
            "target": target, "length": minutes_text(target.minutes),
            "stage": str(Stage(target.stage).label) if target.stage in Stage.values else target.stage,
            "channel": str(ChannelKind(target.channel).label) if target.channel in ChannelKind.values else target.channel,
        }
        for target in selectors.targets()
    ]
    return render(request, "web/sla/targets.html", _context(request, "targets", rows=rows, form=form), status=status)


@require_GET
def target_list(request: HttpRequest) -> HttpResponse:
    _require(request, TARGET_PERMISSION)
    return _targets_page(request, TargetForm())


def _save(request: HttpRequest, form: TargetForm, target: Target | None) -> Target | None:
    if not form.is_valid():
        return None
    try:
        return target_services.save_target(by=request.user, target=target, **form.values())
    except ValidationError as exc:
        add_to_form(form, exc)
        return None


@require_POST
def target_new(request: HttpRequest) -> HttpResponse:
    _require(request, TARGET_PERMISSION)
    form = TargetForm(request.POST)
    saved = _save(request, form, None)
    if saved is None:
        return _targets_page(request, form, status=422)
    messages.success(request, _("Target added; it applies to clocks started from now on."))
    return redirect("web:sla-admin-targets")


@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, TARGET_PERMISSION)
    target = _target_or_404(pk)
    if request.method == "POST":
        form = TargetForm(request.POST, target=target)
        if _save(request, form, target) is not None:
            messages.success(request, _("Target saved; it applies to clocks started from now on."))
            return redirect("web:sla-admin-targets")
        status = 422
    else:
        form = TargetForm(target=target)
        status = 200
    return render(request, "web/sla/target_form.html", _context(request, "targets", form=form, target=target), status=status)


@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, TARGET_PERMISSION)
    target = _target_or_404(pk)
    target_services.delete_target(target, by=request.user)
    messages.success(request, _("Target deleted; running clocks keep the time they started with."))
    return redirect("web:sla-admin-targets")


# ---------------------------------------------------------------------------------- settings


@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    _require(request, SETTINGS_PERMISSION)
    row = selectors.current_settings()
    if request.method == "POST":
        form = SettingsForm(request.POST, row=row)
        if form.is_valid():
            try:
                target_services.update_settings(by=request.user, **form.values())
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("SLA settings saved; they apply to clocks scheduled from now on."))
                return redirect("web:sla-admin-settings")
        status = 422
    else:
        form = SettingsForm(row=row)
        status = 200
    return render(request, "web/sla/settings.html", _context(request, "settings", form=form, row=row), status=status)


# --------------------------------------------------------------------------------- calendars


def _calendar_or_404(pk: int) -> BusinessCalendar:
    try:
        return selectors.calendar(pk)
    except BusinessCalendar.DoesNotExist as exc:
        raise Http404(_("No such calendar.")) from exc


@require_http_methods(["GET", "POST"])
def calendar_list(request: HttpRequest) -> HttpResponse:
    _require(request, CALENDAR_PERMISSION)
    form = CalendarForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            calendar = calendar_services.create_calendar(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Calendar %(name)s created: give it opening hours next.") % {"name": calendar.name})
            return redirect("web:sla-admin-calendar", calendar.pk)
    return render(
        request, "web/sla/calendars.html",
        _context(request, "calendars", form=form, rows=[
            {"calendar": calendar, "hours": hours_summary(calendar.hours.all())} for calendar in selectors.calendars()
        ]),
        status=422 if form.errors else 200,
    )


def _year(request: HttpRequest) -> int:
    raw = request.POST.get("year") or request.GET.get("year") or ""
    if raw.isdigit() and int(raw) in YEARS:
        return int(raw)
    return timezone.localtime(wall_clock.now()).year


def _calendar_page(
    request: HttpRequest, calendar: BusinessCalendar, *, year: int, status: int = 200, **forms: Any
) -> HttpResponse:
    hours = list(calendar.hours.all())
    years = sorted({*selectors.holiday_years(calendar), year})
    context = _context(
        request, "calendars", calendar=calendar, year=year, years=years,
        holidays=list(selectors.calendar_holidays(calendar, year)),
        hours_form=forms.get("hours_form") or HoursForm(hours=hours),
        holiday_form=forms.get("holiday_form") or HolidayForm(),
        import_form=forms.get("import_form") or HolidayImportForm(),
        branch_form=forms.get("branch_form") or BranchForm(),
        problems=forms.get("problems") or [],
    )
    return render(request, "web/sla/calendar.html", context, status=status)


def _back_to(calendar: BusinessCalendar, year: int, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('web:sla-admin-calendar', args=[calendar.pk])}?year={year}#{anchor}")


@require_GET
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CALENDAR_PERMISSION)
    return _calendar_page(request, _calendar_or_404(pk), year=_year(request))


@require_POST
def calendar_hours(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CALENDAR_PERMISSION)
    calendar = _calendar_or_404(pk)
    year = _year(request)
    form = HoursForm(request.POST, hours=list(calendar.hours.all()))
    if form.is_valid():
        try:
            calendar_services.set_opening_hours(calendar, form.intervals(), by=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Opening hours saved; open clocks on this calendar are recomputed."))
            return _back_to(calendar, year, "hours")
    return _calendar_page(request, calendar, year=year, status=422, hours_form=form)


def _entries(calendar: BusinessCalendar, year: int) -> list[tuple[Any, str, str, int]]:
    return [(h.date, h.name, h.kind, h.hours_of) for h in selectors.calendar_holidays(calendar, year)]


def _problem_lines(exc: ValidationError, *, rows: bool) -> list[str]:
    """The reasons a holiday list was refused: "Row 3: …" for a CSV, the reason alone for
    the one date typed in the form."""
    problems = getattr(exc, "problems", None)
    if problems and not rows:
        return [problem.message for problem in problems]
    return list(exc.messages) if not hasattr(exc, "error_dict") else [as_text(exc)]


@require_POST
def calendar_holidays(request: HttpRequest, pk: int) -> HttpResponse:
    """Add one date to the year's list, or remove one (``remove=<date>``)."""
    _require(request, CALENDAR_PERMISSION)
    calendar = _calendar_or_404(pk)
    year = _year(request)
    entries = _entries(calendar, year)
    removing = request.POST.get("remove", "")
    form = HolidayForm(None if removing else request.POST)
    if removing:
        kept = [entry for entry in entries if entry[0].isoformat() != removing]
        if len(kept) == len(entries):
            messages.error(request, _("That date is not in the list; the page may be out of date."))
            return _back_to(calendar, year, "holidays")
        try:
            calendar_services.set_holidays(calendar, year, kept, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(_problem_lines(exc, rows=False)))
        else:
            messages.success(request, _("%(date)s removed from %(year)s.") % {"date": removing, "year": year})
        return _back_to(calendar, year, "holidays")
    if form.is_valid():
        try:
            calendar_services.set_holidays(calendar, year, [*entries, form.entry()], by=request.user)
        except ValidationError as exc:
            for line in _problem_lines(exc, rows=False):
                form.add_error(None, line)
        else:
            messages.success(request, _("%(date)s added to %(year)s.") % {"date": form.cleaned_data["date"], "year": year})
            return _back_to(calendar, year, "holidays")
    return _calendar_page(request, calendar, year=year, status=422, holiday_form=form)


@require_POST
def calendar_import(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CALENDAR_PERMISSION)
    calendar = _calendar_or_404(pk)
    year = _year(request)
    form = HolidayImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            notices = calendar_services.import_holidays_csv(calendar, year, form.cleaned_data["text"], by=request.user)
        except ValidationError as exc:
            return _calendar_page(
                request, calendar, year=year, status=422, import_form=form, problems=_problem_lines(exc, rows=True),
            )
        for notice in notices:
            messages.success(request, notice)
        return _back_to(calendar, year, "holidays")
    return _calendar_page(request, calendar, year=year, status=422, import_form=form)


@require_POST
def calendar_branch(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, CALENDAR_PERMISSION)
    calendar = _calendar_or_404(pk)
    year = _year(request)
    form = BranchForm(request.POST)
    if form.is_valid():
        branch = form.chosen_branch()
        try:
            calendar_services.assign_branch(calendar, branch, by=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("%(branch)s now follows %(calendar)s.") % {"branch": branch.label, "calendar": calendar.name})
            return _back_to(calendar, year, "branches")
    return _calendar_page(request, calendar, year=year, status=422, branch_form=form)
