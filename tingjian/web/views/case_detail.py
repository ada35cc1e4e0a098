"""The case page and what can be posted from it: a step, field changes, a reply, a note.

Each POST calls one service. Success redirects back (post/redirect/get) with a message;
a refusal re-renders the page with the reason beside what was typed, having changed nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tingjian.cases import safety as case_safety
from tingjian.cases import selectors, services
from tingjian.cases.errors import TransitionRefused
from tingjian.cases.models import Case
from tingjian.cases.workflow import policy_document, transition
from tingjian.channels import outbound
from tingjian.sla import selectors as sla_selectors
from tingjian.sla.models import Clock
from tingjian.sla.timers import acknowledge_clock_alerts

from ..case_page import case_page_context, edit_form_for
from ..forms import NoteForm, ReplyForm, SafetyDowngradeRequestForm, TransitionForm, WaitingForm
from ..service_errors import add_to_form, as_text


def _case(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.get_case(request.user, number)
    except Case.DoesNotExist as exc:
        # 404, never 403: a case the user may not see does not exist for them.
        raise Http404(_("No such case.")) from exc


def _page(request: HttpRequest, case: Case, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "web/case_detail.html", case_page_context(case, request.user, **extra), status=status)


def _back(case: Case) -> HttpResponse:
    return redirect("web:case-detail", case.number)


@require_GET
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _page(request, _case(request, number))


@require_POST
def case_transition(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = TransitionForm(request.POST)
    policy = policy_document(case.policy)
    step = policy.get(request.POST.get("transition", "")) if form.is_valid() else None
    if step is None:
        messages.error(request, _("Unknown step; the page may be out of date."))
        return _back(case)
    data = form.cleaned_data
    fields = {"duplicate_of": data["duplicate_of"]} if data["duplicate_of"] else None
    try:
        transition(
            case, step.to, by=request.user, via=step.id, reason=data["reason"], fields=fields,
            checklist=form.checklist([item.id for item in policy.qa_checklist]),
            override=data["override"],
        )
    except TransitionRefused as exc:
        return _page(request, case, status=422, refusal=exc, posted=request.POST.dict())
    except (ValidationError, PermissionDenied) as exc:
        text = as_text(exc) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("You may not do that."))
        return _page(request, _case(request, number), status=422, posted=request.POST.dict())
    messages.success(request, _("“%(step)s” done.") % {"step": step.label})
    return _back(case)


@require_POST
def case_update(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = edit_form_for(case, request.user, request.POST)
    if form.is_valid():
        try:
            services.update_case(case, by=request.user, fields=form.changed_fields(), reason=form.reason)
        except ValidationError as exc:
            add_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Case updated."))
            return _back(case)
    return _page(request, _case(request, number), status=422, edit_form=form)


@require_POST
def case_reply(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = ReplyForm(request.POST, targets=outbound.reply_targets(case))
    if form.is_valid():
        try:
            message = outbound.send_reply(
                case, body=form.cleaned_data["body"], by=request.user, target=form.cleaned_data["target"],
                carries_resolution=form.cleaned_data["carries_resolution"], targets=form.targets,
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            queued = message.delivery_status == "queued"
            messages.success(request, _("Reply queued for sending.") if queued else _("Reply recorded."))
            return _back(case)
    return _page(request, case, status=422, reply_form=form)


@require_POST
def retry_delivery(request: HttpRequest, number: str, message_id: int) -> HttpResponse:
    case = _case(request, number)
    message = case.messages.filter(pk=message_id).first()
    if message is None:
        raise Http404(_("No such message."))
    try:
        outbound.retry_delivery(message, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, as_text(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("The reply is queued to be sent again."))
    return _back(case)


@require_POST
def case_note(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(case, body=form.cleaned_data["body"], by=request.user)
        except ValidationError as exc:
            add_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Note added."))
            return _back(case)
    return _page(request, case, status=422, note_form=form)


@require_POST
def approve_compensation(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    try:
        services.approve_compensation(case, by=request.user)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Compensation approved."))
    return _back(case)


@require_POST
def case_waiting(request: HttpRequest, number: str) -> HttpResponse:
    """Who the case waits on; the SLA settings decide which clocks that pauses."""
    case = _case(request, number)
    form = WaitingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown choice; the page may be out of date."))
        return _back(case)
    try:
        services.update_case(case, by=request.user, fields={"waiting_on": form.cleaned_data["waiting_on"]})
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    else:
        messages.success(request, _("Waiting on: %(who)s.") % {"who": case.get_waiting_on_display()})
    return _back(case)


@require_POST
def safety_downgrade_request(request: HttpRequest, number: str) -> HttpResponse:
    """An agent asks the managers to remove the personal-safety flag."""
    case = _case(request, number)
    form = SafetyDowngradeRequestForm(request.POST)
    if form.is_valid():
        try:
            case_safety.request_safety_downgrade(case, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_to_form(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The managers were asked to remove the safety flag."))
            return _back(case)
    messages.error(request, _("Nothing was sent: see the request form below."))
    return _page(request, case, status=422, safety_request_form=form)


@require_POST
def acknowledge_clock(request: HttpRequest, number: str, clock_id: int) -> HttpResponse:
    """Take the SLA alerts of one clock that were sent to the current user."""
    case = _case(request, number)
    try:
        clock = sla_selectors.case_clock(case, clock_id)
    except Clock.DoesNotExist as exc:
        raise Http404(_("No such clock.")) from exc
    if acknowledge_clock_alerts(clock, by=request.user):
        messages.success(request, _("Acknowledged: the escalation of this clock stops with you."))
    else:
        messages.info(request, _("You have no alert of this clock to acknowledge."))
    return _back(case)
