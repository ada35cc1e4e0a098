"""Call-log imports: upload → mapping → check (a task, with progress) → report → import → done.

The slow parts run in ``channels.tasks``; these views start them and show their progress,
which htmx polls every second. Who may do what is decided in ``channels.calls``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from tingjian.channels import calls
from tingjian.channels.models import CallImport, ImportStatus

from ..service_errors import add_to_form, as_text

PER_PAGE = 25
STEPS = (
    gettext_lazy("Upload"), gettext_lazy("Columns"), gettext_lazy("Check"), gettext_lazy("Import"), gettext_lazy("Done"),
)
# The report lists this many bad rows; `tingjian import calls` prints them all.
BAD_ROWS_SHOWN = 500
# The done page links the first cases; the rest are in the case list (channel: phone).
CASES_SHOWN = 50


class ChannelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class UploadForm(forms.Form):
    channel = ChannelChoiceField(label=gettext_lazy("Call-centre channel"), queryset=calls.import_channels(), empty_label=None)
    file = forms.FileField(
        label=gettext_lazy("Call log file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    @staticmethod
    def accepted() -> str:
        return _(
            "CSV (UTF-8, Big5 or GB18030; comma, semicolon or tab between columns) or XLSX, up to %(size)s. "
            "The first row names the columns."
        ) % {"size": filesizeformat(calls.max_upload_bytes())}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > calls.max_upload_bytes():
            raise ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Split it and import the parts.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(calls.max_upload_bytes())}
            )
        return upload


class MappingForm(forms.Form):
    """Our field → one of the file's columns (or none), pre-filled with the guess."""

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((h, h) for h in headers)]
        for name in calls.FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=calls.FIELD_LABELS[name], choices=choices, required=name in calls.REQUIRED,
            )

    def required_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in calls.FIELDS if name in calls.REQUIRED]

    def optional_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in calls.FIELDS if name not in calls.REQUIRED]

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in calls.FIELDS}


def _import(request: HttpRequest, pk: int) -> CallImport:
    try:
        return calls.get_import(pk, by=request.user)
    except CallImport.DoesNotExist as exc:
        raise Http404(_("No such import.")) from exc


@require_GET
def import_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(calls.visible_imports(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/imports/list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    calls.ensure_may_import(request.user)
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                call_import = calls.start_import(
                    channel=form.cleaned_data["channel"], name=upload.name, content=upload.read(), by=request.user,
                )
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                return redirect("web:import-detail", call_import.pk)
        status = 422
    else:
        form = UploadForm()
    has_channels = calls.import_channels().exists()
    context = {"form": form, "has_channels": has_channels, "accepted": UploadForm.accepted(), "steps": STEPS, "step": 1}
    return render(request, "web/imports/upload.html", context, status=status)


def _detail(request: HttpRequest, call_import: CallImport, *, form: MappingForm | None = None, status: int = 200) -> HttpResponse:
    context: dict[str, Any] = {"imp": call_import, "error": _(call_import.error) if call_import.error else ""}
    editing = call_import.status in calls.CHANGEABLE and (
        form is not None or call_import.status != ImportStatus.CHECKED or request.GET.get("mapping") == "1"
    )
    if editing:
        try:
            preview = calls.preview(call_import)
        except ValidationError as exc:
            context["error"] = as_text(exc)
        else:
            context["preview"] = preview
            context["form"] = form or MappingForm(headers=preview.headers, initial=call_import.mapping)
    if call_import.status in {ImportStatus.CHECKED, ImportStatus.DONE}:
        context["bad_rows"] = [
            {"row": item["row"], "call_id": item.get("call_id", ""), "reason": calls.describe(item)}
            for item in call_import.bad_rows[:BAD_ROWS_SHOWN]
        ]
        context["bad_count"] = len(call_import.bad_rows)
        context["bad_hidden"] = max(0, len(call_import.bad_rows) - BAD_ROWS_SHOWN)
    if call_import.status == ImportStatus.DONE:
        context["cases"] = calls.imported_cases(call_import, limit=CASES_SHOWN)
        context["cases_cut"] = len(context["cases"]) >= CASES_SHOWN
    context["editing"] = editing
    context["steps"] = STEPS
    context["step"] = _step(call_import, editing=editing)
    return render(request, "web/imports/detail.html", context, status=status)


def _step(call_import: CallImport, *, editing: bool) -> int:
    if editing:
        return 2
    return {ImportStatus.CHECKING: 3, ImportStatus.CHECKED: 3, ImportStatus.IMPORTING: 4, ImportStatus.DONE: 6}.get(
        ImportStatus(call_import.status), 2
    )


@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _import(request, pk))


@require_POST
def import_check(request: HttpRequest, pk: int) -> HttpResponse:
    call_import = _import(request, pk)
    try:
        headers = calls.preview(call_import).headers
    except ValidationError as exc:
        messages.error(request, as_text(exc))
        return redirect("web:import-detail", pk)
    form = MappingForm(request.POST, headers=headers)
    if form.is_valid():
        try:
            calls.request_check(call_import, by=request.user, mapping=form.mapping())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            return redirect("web:import-detail", pk)
    return _detail(request, call_import, form=form, status=422)


@require_POST
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        calls.request_run(_import(request, pk), by=request.user)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    return redirect("web:import-detail", pk)


@login_not_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    # Polled by htmx every second. Logged out: "nothing to swap" (204), as the bell does.
    # Finished: reload the page, which then shows the report.
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    call_import = _import(request, pk)
    if call_import.status not in calls.RUNNING:
        if getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return redirect("web:import-detail", pk)
    return render(request, "web/imports/partials/progress.html", {"imp": call_import})
