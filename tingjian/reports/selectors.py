"""Reading reports: the archive, one report, its deliveries, the schedules, and the scopes
a report may have. Plain querysets with what their pages need joined in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from tingjian.org.models import Branch, Department

from .models import Delivery, DeliveryStatus, Report, ReportStatus, Schedule, ScopeKind


def archive(*, cadence: str = "", scope: str = "") -> QuerySet[Report]:
    """Reports made, newest period first; the big columns (HTML, PDF, data) left out."""
    qs = Report.objects.filter(status=ReportStatus.READY).defer("html", "pdf", "data")
    if cadence:
        qs = qs.filter(cadence=cadence)
    if scope:
        qs = qs.filter(scope_key=scope)
    return qs.annotate(
        sent=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
    ).order_by("-period_start", "cadence", "scope_key", "language", "-id")


def report(pk: int, *, with_pdf: bool = False) -> Report:
    """One ready report; ``Report.DoesNotExist`` otherwise."""
    qs = Report.objects.filter(status=ReportStatus.READY)
    if not with_pdf:
        qs = qs.defer("pdf")
    return qs.get(pk=pk)


def deliveries_of(report: Report) -> QuerySet[Delivery]:
    return report.deliveries.select_related("recipient_user", "schedule").order_by("created_at", "id")


def schedules() -> QuerySet[Schedule]:
    return Schedule.objects.select_related("recipient_user", "branch", "department", "created_by").order_by(
        "-active", "cadence", "scope", "id",
    )


def schedule(pk: int) -> Schedule:
    return schedules().get(pk=pk)


def branches() -> QuerySet[Branch]:
    return Branch.objects.filter(is_active=True).order_by("code")


def departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("code")


def recipients() -> QuerySet[Any]:
    """People a report can be sent to: active accounts with an email address."""
    return get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")


def scope_choices() -> list[tuple[str, str]]:
    """("all" | "branch:<id>" | "department:<id>", label) for every scope a report may have."""
    from django.utils.translation import gettext as _

    choices = [("all", str(ScopeKind.ALL.label))]
    choices += [(f"branch:{b.pk}", _("Branch: %(name)s") % {"name": b.label}) for b in branches()]
    choices += [(f"department:{d.pk}", _("Department: %(name)s") % {"name": d.label}) for d in departments()]
    return choices
