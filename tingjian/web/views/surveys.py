"""Survey pages: the customer's public page, QA's follow-ups and the answers list.

``/surveys/<token>/`` needs no login: GET only shows (mail scanners open links), each of
the five satisfaction buttons is a POST, so one tap answers; the thank-you step takes an
optional recommendation score and comment. An unknown link is 404, an expired one 410, an
answered one 409 — a page in the customer's language each time, and nothing changes.

The staff pages are thin: filters parsed here, rows from ``surveys.selectors``, writes
through ``surveys.services``, and the answers' export through ``insights.tables`` (surveys
sits below insights in the layers, so the table is assembled here, not in the app).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Avg, Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.insights.tables import Column, Table, export
from tingjian.org.selectors import active_branches
from tingjian.surveys import selectors, services
from tingjian.surveys.errors import AlreadyAnswered, LinkExpired, SurveyLinkError
from tingjian.surveys.models import Answer, FollowUp, FollowUpStatus, Invitation

PER_PAGE = 25
# An export is a file for a spreadsheet, not a dump of the database.
EXPORT_LIMIT = 50_000
VIEW_ANSWERS = "surveys.view_surveyanswer"
CHANGE_FOLLOW_UP = "surveys.change_followup"


# ============================================================================ the public page


def _supported(code: str) -> str:
    code = (code or "").strip().lower()
    return code if code in dict(settings.LANGUAGES) else ""


def _activate(request: HttpRequest, invitation: Invitation | None) -> str:
    """?lang= (the page's switch) first, else the invitation's language."""
    chosen = _supported(request.GET.get("lang", "")) or (invitation.language if invitation else "") or settings.LANGUAGE_CODE
    translation.activate(chosen)
    request.LANGUAGE_CODE = chosen
    return chosen


def _private(response: HttpResponse) -> HttpResponse:
    # One customer's page: never cached on the way, never indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _public(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    return _private(render(request, template, {"scores": CSAT_SCORES, "nps_scores": range(11), **context}, status=status))


CSAT_SCORES = (
    (1, gettext_lazy("Very unhappy")),
    (2, gettext_lazy("Unhappy")),
    (3, gettext_lazy("So-so")),
    (4, gettext_lazy("Happy")),
    (5, gettext_lazy("Very happy")),
)


def _link_problem(request: HttpRequest, exc: SurveyLinkError, invitation: Invitation | None = None) -> HttpResponse:
    if isinstance(exc, AlreadyAnswered):
        context: dict[str, Any] = {
            "title": _("You have answered already"),
            "message": _("Thank you: we have your answer, and each survey takes one. Nothing was changed."),
            "more_url": "" if exc.complete else _self_url(request),
        }
    elif isinstance(exc, LinkExpired):
        context = {
            "title": _("This survey has closed"),
            "message": _("Its link worked for 30 days. Thank you all the same: if something is still wrong, write to us again."),
        }
    else:
        context = {
            "title": _("We cannot find this survey"),
            "message": _("Check that you opened the whole link from our message. Nothing was recorded."),
        }
    context["invitation"] = invitation
    context["brand"] = invitation.brand if invitation else ""
    return _public(request, "web/surveys/public/problem.html", context, status=exc.status)


def _self_url(request: HttpRequest) -> str:
    return f"{request.path}?{urlencode({'lang': translation.get_language() or ''})}"


def _page_context(invitation: Invitation) -> dict[str, Any]:
    return {"invitation": invitation, "case": invitation.case, "brand": invitation.brand}


@login_not_required
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.open_link(token)
    except SurveyLinkError as exc:
        _activate(request, None)
        return _link_problem(request, exc)
    _activate(request, invitation)
    if request.method == "POST":
        try:
            services.record_csat(token, score=request.POST.get("csat"))
        except SurveyLinkError as exc:
            return _link_problem(request, exc, invitation)
        except ValidationError as exc:
            return _public(request, "web/surveys/public/rate.html", {
                **_page_context(invitation), "error": " ".join(exc.messages),
            }, status=422)
        # Post/redirect/get: reloading the thank-you step must not post again.
        return redirect(_self_url(request), permanent=False)
    answer = Answer.objects.filter(invitation=invitation).first()
    if answer is None:
        return _public(request, "web/surveys/public/rate.html", _page_context(invitation))
    if answer.is_complete:
        return _link_problem(request, AlreadyAnswered(complete=True), invitation)
    return _public(request, "web/surveys/public/more.html", {**_page_context(invitation), "answer": answer})


@login_not_required
@require_POST
def survey_more(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.open_link(token)
    except SurveyLinkError as exc:
        _activate(request, None)
        return _link_problem(request, exc)
    _activate(request, invitation)
    try:
        answer = services.complete(token, nps=request.POST.get("nps"), comment=request.POST.get("comment", ""))
    except SurveyLinkError as exc:
        return _link_problem(request, exc, invitation)
    except ValidationError as exc:
        answer_now = Answer.objects.filter(invitation=invitation).first()
        if answer_now is None:
            return _public(request, "web/surveys/public/rate.html", {
                **_page_context(invitation), "error": " ".join(exc.messages),
            }, status=422)
        return _public(request, "web/surveys/public/more.html", {
            **_page_context(invitation), "answer": answer_now, "error": " ".join(exc.messages),
            "kept_nps": request.POST.get("nps", ""), "kept_comment": request.POST.get("comment", ""),
        }, status=422)
    return _public(request, "web/surveys/public/thanks.html", {**_page_context(invitation), "answer": answer})


# ============================================================================ QA's follow-ups


def _may_follow_up(request: HttpRequest) -> None:
    if not request.user.has_perm(CHANGE_FOLLOW_UP):
        raise PermissionDenied(_("Survey follow-ups are for QA reviewers and managers."))


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("web:survey-follow-ups")
    return redirect(target)


@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    _may_follow_up(request)
    status = request.GET.get("status", "")
    if status not in FollowUpStatus.values:
        status = ""
    page = Paginator(selectors.follow_ups(request.user, status=status), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/surveys/follow_ups.html", {
        "page": page, "rows": list(page.object_list), "status": status, "query": query.urlencode(),
        "statuses": FollowUpStatus.choices,
    })


def _follow_up_or_404(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.follow_up(request.user, pk)
    except FollowUp.DoesNotExist as exc:  # the same answer for "none" and "not yours to see"
        raise Http404(_("No such follow-up.")) from exc


@require_POST
def follow_up_take(request: HttpRequest, pk: int) -> HttpResponse:
    _may_follow_up(request)
    item = _follow_up_or_404(request, pk)
    try:
        services.take_follow_up(item, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You took the follow-up of case %(case)s.") % {"case": item.case.number})
    return _back(request)


@require_POST
def follow_up_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _may_follow_up(request)
    item = _follow_up_or_404(request, pk)
    try:
        services.resolve_follow_up(item, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, _("Case %(case)s: %(problem)s") % {"case": item.case.number, "problem": " ".join(exc.messages)})
    else:
        messages.success(request, _("The follow-up of case %(case)s is done.") % {"case": item.case.number})
    return _back(request)


# ============================================================================ the answers


class AnswerFilterForm(forms.Form):
    csat = forms.ChoiceField(label=gettext_lazy("Satisfaction"), required=False, choices=[
        ("", gettext_lazy("Any")), ("low", gettext_lazy("Low (1–2)")),
        *[(str(n), str(n)) for n in range(1, 6)],
    ])
    nps = forms.ChoiceField(label=gettext_lazy("Recommendation"), required=False, choices=[
        ("", gettext_lazy("Any")), ("detractor", gettext_lazy("Detractors (0–6)")),
        ("passive", gettext_lazy("Passives (7–8)")), ("promoter", gettext_lazy("Promoters (9–10)")),
    ])
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), required=False, queryset=active_branches(), empty_label=gettext_lazy("All"))
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    safety = forms.BooleanField(label=gettext_lazy("Mentions safety"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end is before the start."))
        return data

    def filters(self) -> selectors.AnswerFilters:
        """The filters that were understood; a bad one is shown as an error and ignored."""
        self.is_valid()
        data = {k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        csat = data.get("csat") or ""
        branch = data.get("branch")
        start: date | None = data.get("start")
        end: date | None = data.get("end") if "end" not in self.errors else None
        return selectors.AnswerFilters(
            csat=int(csat) if csat.isdigit() else None, csat_low=csat == "low", nps_band=data.get("nps") or "",
            branch=branch.pk if branch else None, start=start, end=end, safety=bool(data.get("safety")),
        )


def _summary(qs: QuerySet[Answer]) -> dict[str, Any]:
    numbers = qs.order_by().aggregate(
        count=Count("pk"), csat=Avg("csat"), nps_count=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)), detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    nps_count = numbers["nps_count"] or 0
    nps = round(100 * (numbers["promoters"] - numbers["detractors"]) / nps_count) if nps_count else None
    return {"count": numbers["count"], "csat": numbers["csat"], "nps": nps, "nps_count": nps_count}


def answers_table(rows: QuerySet[Answer]) -> Table:
    table = Table(name="survey-answers", title=str(_("Survey answers")), columns=[
        Column("answered_at", _("Answered")), Column("case", _("Case")), Column("subject", _("Subject")),
        Column("branch", _("Branch")), Column("department", _("Department")), Column("channel", _("Sent by")),
        Column("csat", _("Satisfaction (1–5)"), "int"), Column("nps", _("Recommendation (0–10)"), "int"),
        Column("sentiment", _("Sentiment")), Column("safety", _("Mentions safety")),
        Column("keywords", _("Keywords")), Column("comment", _("Comment")), Column("follow_up", _("Follow-up")),
    ])
    for answer in rows[:EXPORT_LIMIT]:
        case = answer.invitation.case
        follow_up = getattr(answer, "follow_up", None)
        table.rows.append({
            "answered_at": timezone.localtime(answer.answered_at).strftime("%Y-%m-%d %H:%M"),
            "case": case.number, "subject": case.subject,
            "branch": case.branch.label if case.branch else "", "department": case.department.label if case.department else "",
            "channel": answer.invitation.channel, "csat": answer.csat, "nps": answer.nps,
            "sentiment": answer.sentiment, "safety": _("yes") if answer.safety else "",
            "keywords": "、".join(answer.keywords or []), "comment": answer.comment,
            "follow_up": follow_up.get_status_display() if follow_up else "",
        })
    return table


@require_GET
def answer_list(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_ANSWERS):
        raise PermissionDenied(_("You may not see survey answers."))
    form = AnswerFilterForm(request.GET)
    rows = selectors.answers(request.user, form.filters())
    fmt = request.GET.get("export", "")
    if fmt:
        try:
            content, content_type, filename = export(answers_table(rows), fmt)
        except ValueError:
            messages.error(request, _("Export as csv or xlsx."))
            query = request.GET.copy()
            query.pop("export", None)
            return redirect(f"{reverse('web:survey-answers')}?{query.urlencode()}")
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "web/surveys/answers.html", {
        "form": form, "page": page, "rows": list(page.object_list), "query": query.urlencode(),
        "summary": _summary(rows),
    })
