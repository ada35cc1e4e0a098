"""The KPI targets: the list (insights.view_insights) and a small editor
(insights.manage_targets, checked by the service). Times are entered in minutes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tingjian.insights import kpis, services
from tingjian.insights.models import KpiTarget
from tingjian.insights.selectors import ensure_can_view_insights, format_value
from tingjian.org import selectors as org
from tingjian.org.models import Branch, Department

from .common import nav

SCOPES = (("company", gettext_lazy("The whole company")), ("branch", gettext_lazy("One branch")),
          ("department", gettext_lazy("One department")))


class TargetForm(forms.Form):
    kpi = forms.ChoiceField(label=gettext_lazy("KPI"))
    scope = forms.ChoiceField(label=gettext_lazy("For"), choices=SCOPES, initial="company")
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=Branch.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department"), queryset=Department.objects.none(), required=False,
    )
    value = forms.FloatField(
        label=gettext_lazy("Target"),
        help_text=gettext_lazy("Minutes for times, 0–100 for percentages, 1–5 for CSAT, −100–100 for NPS."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kpi = cast(forms.ChoiceField, self.fields["kpi"])
        branch = cast(forms.ModelChoiceField, self.fields["branch"])  # type: ignore[type-arg]
        department = cast(forms.ModelChoiceField, self.fields["department"])  # type: ignore[type-arg]
        kpi.choices = [(code, str(k.label)) for code, k in kpis.CATALOGUE.items()]
        branch.queryset = org.active_branches().order_by("code")
        department.queryset = org.active_departments().order_by("code")
        branch.empty_label = department.empty_label = "—"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == "branch" and not data.get("branch"):
            self.add_error("branch", _("Choose the branch."))
        if scope == "department" and not data.get("department"):
            self.add_error("department", _("Choose the department."))
        return data


def _rows() -> list[dict[str, Any]]:
    rows = []
    for target in KpiTarget.objects.select_related("branch", "department").order_by("kpi", "pk"):
        kpi = kpis.CATALOGUE.get(target.kpi)
        rows.append({
            "target": target, "label": str(kpi.label) if kpi else target.kpi,
            "display": format_value(target.value, kpi.unit) if kpi else str(target.value),
            "scope": target.branch.label if target.branch else (
                target.department.label if target.department else _("The whole company")),
            "direction": _("at most") if target.direction == kpis.AT_MOST else _("at least"),
        })
    return rows


def _save(request: HttpRequest, form: TargetForm) -> bool:
    data = form.cleaned_data
    kpi = kpis.CATALOGUE[data["kpi"]]
    value = data["value"] * 60 if kpi.unit == "seconds" else data["value"]
    try:
        services.set_target(
            kpi=kpi.code, value=value, by=request.user,
            branch=data["branch"] if data["scope"] == "branch" else None,
            department=data["department"] if data["scope"] == "department" else None,
        )
    except services.TargetRefused as exc:
        form.add_error("value" if exc.field == "value" else None, str(exc))
        return False
    messages.success(request, _("Target saved: %(kpi)s.") % {"kpi": kpi.label})
    return True


@require_http_methods(["GET", "POST"])
def targets_page(request: HttpRequest) -> HttpResponse:
    ensure_can_view_insights(request.user)
    may_edit = request.user.has_perm(services.MANAGE_PERMISSION)
    form = TargetForm()
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(_("You may not change KPI targets."))
        if "remove" in request.POST:
            target = get_object_or_404(KpiTarget, pk=request.POST.get("remove", "").strip() or 0)
            services.remove_target(target, by=request.user)
            messages.success(request, _("Target removed."))
            return redirect("web:insights-targets")
        form = TargetForm(request.POST)
        if form.is_valid() and _save(request, form):
            return redirect("web:insights-targets")
        status = 400
    return render(request, "web/insights/targets.html", {
        "section": "targets", "nav": nav("targets"), "rows": _rows(), "form": form, "may_edit": may_edit,
    }, status=status)
