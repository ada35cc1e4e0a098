"""Service reports: responsible for report schedules (who gets which report), asking for a
report of a period and scope, and queueing its deliveries; ``generation`` makes a report,
``delivery`` emails it, ``periodic_work`` runs both on time, ``on_demand`` serves the
preview page and ``tingjian reports send``.

Who may do what is checked here: changing schedules needs ``reports.change_schedule``
(managers, executives, administrators). Every schedule change is one transaction with its
audit event. Must never: make a second report of the same cadence, period, scope and
language, give a schedule two deliveries of one report (unique constraints back both), or
render or send inside a request — that is the tasks' work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit
from tingjian.org.models import Branch, Department

from .models import Cadence, Delivery, DeliveryStatus, Report, Schedule, ScopeKind, scope_key
from .periods import Period, last_due

logger = logging.getLogger(__name__)

CHANGE_PERMISSION = "reports.change_schedule"
VIEW_PERMISSION = "reports.view_report"


@dataclass(frozen=True)
class Scope:
    kind: str = ScopeKind.ALL
    branch_id: int | None = None
    department_id: int | None = None

    @property
    def key(self) -> str:
        return scope_key(self.kind, self.branch_id, self.department_id)


def ensure_may_change_schedules(user: Any) -> None:
    if not user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(_("Only managers, executives and administrators may change report schedules."))


def recipient_language(user: Any | None, chosen: str = "") -> str:
    """The report's language: the schedule's choice, else the user's own, else the site's."""
    languages = dict(settings.LANGUAGES)
    if chosen in languages:
        return chosen
    profile = getattr(user, "profile", None) if user is not None else None
    language = getattr(profile, "language", "") or ""
    return language if language in languages else settings.LANGUAGE_CODE


# ---------------------------------------------------------------------------- scopes


def parse_scope(text: str) -> Scope:
    """"all", "branch:<code or id>" or "department:<code or id>" → a Scope of existing,
    active rows; ValidationError with a clear message otherwise."""
    text = (text or "all").strip()
    if text == "all":
        return Scope()
    kind, _sep, ref = text.partition(":")
    if kind not in (ScopeKind.BRANCH, ScopeKind.DEPARTMENT) or not ref:
        raise ValidationError(
            _("Unknown scope “%(scope)s”: use all, branch:<code> or department:<code>.") % {"scope": text},
            code="scope",
        )
    return resolve_scope(kind, ref)


def resolve_scope(kind: str, ref: Any) -> Scope:
    if kind == ScopeKind.ALL:
        return Scope()
    model = Branch if kind == ScopeKind.BRANCH else Department
    lookup = Q(code=str(ref)) | (Q(pk=int(ref)) if str(ref).isdigit() else Q(pk__in=[]))
    found = model.objects.filter(lookup, is_active=True).first() if ref not in ("", None) else None
    if found is None:
        if kind == ScopeKind.BRANCH:
            message = _("There is no active branch “%(ref)s”.") if ref not in ("", None) else _("Choose a branch.")
            raise ValidationError({"branch": message % {"ref": ref}}, code="branch")
        message = _("There is no active department “%(ref)s”.") if ref not in ("", None) else _("Choose a department.")
        raise ValidationError({"department": message % {"ref": ref}}, code="department")
    if kind == ScopeKind.BRANCH:
        return Scope(kind, branch_id=found.pk)
    return Scope(kind, department_id=found.pk)


# ---------------------------------------------------------------------------- schedules


def same_scope(scope: Scope) -> Q:
    """Schedules of exactly this scope (a NULL branch or department matched as NULL)."""
    branch = Q(branch__isnull=True) if scope.branch_id is None else Q(branch_id=scope.branch_id)
    department = Q(department__isnull=True) if scope.department_id is None else Q(department_id=scope.department_id)
    return branch & department


def _clean_schedule(
    *, schedule: Schedule | None, recipient_user: Any | None, recipient_email: str, language: str, cadence: str,
    scope: str, branch: Any | None, department: Any | None,
) -> tuple[Any | None, str, Scope]:
    errors: dict[str, list[str]] = {}
    email = (recipient_email or "").strip().lower()
    if recipient_user is None and not email:
        errors.setdefault("recipient_user", []).append(_("Choose a person or enter an email address."))
    elif recipient_user is not None and email:
        errors.setdefault("recipient_email", []).append(_("Choose a person or an email address, not both."))
    elif recipient_user is not None:
        if not recipient_user.is_active:
            errors.setdefault("recipient_user", []).append(_("This person's account is inactive."))
        elif not recipient_user.email:
            errors.setdefault("recipient_user", []).append(
                _("This person has no email address; add one to their account first."),
            )
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("recipient_email", []).append(_("Enter a valid email address."))
    if cadence not in Cadence.values:
        errors.setdefault("cadence", []).append(_("Choose weekly or monthly."))
    if language and language not in dict(settings.LANGUAGES):
        errors.setdefault("language", []).append(_("Choose one of the offered languages."))
    resolved = Scope()
    if scope not in ScopeKind.values:
        errors.setdefault("scope", []).append(_("Choose the whole company, a branch or a department."))
    else:
        ref = getattr(branch, "pk", branch) if scope == ScopeKind.BRANCH else getattr(department, "pk", department)
        try:
            resolved = resolve_scope(scope, ref)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if not errors:
        same = Schedule.objects.filter(active=True, cadence=cadence, scope=resolved.kind).filter(
            same_scope(resolved),
        )
        same = same.filter(recipient_user=recipient_user) if recipient_user is not None else same.filter(
            recipient_user__isnull=True, recipient_email=email,
        )
        if schedule is not None:
            same = same.exclude(pk=schedule.pk)
        if same.exists():
            errors.setdefault("__all__", []).append(
                _("This recipient already gets this report; edit that schedule instead."),
            )
    if errors:
        raise ValidationError(errors)
    return recipient_user, email, resolved


def _describe(schedule: Schedule) -> dict[str, Any]:
    return {
        "recipient_user": schedule.recipient_user_id, "recipient_email": schedule.recipient_email,
        "language": schedule.language, "cadence": schedule.cadence, "scope": schedule.scope_key,
        "active": schedule.active,
    }


def save_schedule(
    *, by: Any, schedule: Schedule | None = None, recipient_user: Any | None = None, recipient_email: str = "",
    language: str = "", cadence: str, scope: str = ScopeKind.ALL, branch: Any | None = None,
    department: Any | None = None, active: bool = True,
) -> Schedule:
    """Create (``schedule`` None) or change a schedule. Bad input raises ValidationError and
    changes nothing."""
    ensure_may_change_schedules(by)
    user, email, resolved = _clean_schedule(
        schedule=schedule, recipient_user=recipient_user, recipient_email=recipient_email, language=language,
        cadence=cadence, scope=scope, branch=branch, department=department,
    )
    now = clock.now()
    with transaction.atomic():
        before = _describe(schedule) if schedule is not None else None
        target = schedule or Schedule(created_by=by, created_at=now)
        target.recipient_user = user
        target.recipient_email = "" if user is not None else email
        target.language = language
        target.cadence = cadence
        target.scope = resolved.kind
        target.branch_id = resolved.branch_id
        target.department_id = resolved.department_id
        target.active = active
        target.updated_at = now
        target.save()
        audit.record(
            "reports.schedule_saved" if before else "reports.schedule_created", actor=by,
            object_type="reports.schedule", object_id=target.pk, before=before, after=_describe(target),
            summary=f"{target.cadence} report schedule ({target.scope_key})",
        )
    return target


def deactivate_schedule(schedule: Schedule, *, by: Any) -> Schedule:
    """Stop a schedule; reports already sent stay in the archive."""
    ensure_may_change_schedules(by)
    with transaction.atomic():
        locked = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if not locked.active:
            return locked
        before = _describe(locked)
        locked.active = False
        locked.updated_at = clock.now()
        locked.save(update_fields=["active", "updated_at"])
        audit.record(
            "reports.schedule_deactivated", actor=by, object_type="reports.schedule", object_id=locked.pk,
            before=before, after=_describe(locked), summary=f"{locked.cadence} report schedule stopped",
        )
    return locked


# ---------------------------------------------------------------------------- reports and deliveries


def request_report(period: Period, scope: Scope, language: str) -> Report:
    """The report of this cadence, period, scope and language: the existing one, or a new one
    waiting to be made. Two callers at once get the same row (the unique constraint)."""
    key = {"cadence": period.cadence, "period_start": period.start, "scope_key": scope.key, "language": language}
    existing = Report.objects.filter(**key).first()
    if existing is not None:
        return existing
    now = clock.now()
    try:
        with transaction.atomic():
            return Report.objects.create(
                **key, period_end=period.end, scope=scope.kind, branch_id=scope.branch_id,
                department_id=scope.department_id, requested_at=now, due_at=None,
            )
    except IntegrityError:
        return Report.objects.get(**key)


def queue_delivery(
    report: Report, *, schedule: Schedule | None = None, user: Any | None = None, email: str = "",
) -> Delivery:
    """A delivery of ``report``; for a schedule, at most one per report (a second call returns
    the first). One-off deliveries (no schedule) are always new."""
    now = clock.now()
    fields = {
        "recipient_user": user, "recipient_email": "" if user is not None else email, "created_at": now,
        "due_at": None,  # due at once
    }
    if schedule is None:
        return Delivery.objects.create(report=report, **fields)
    existing = Delivery.objects.filter(report=report, schedule=schedule).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Delivery.objects.create(report=report, schedule=schedule, **fields)
    except IntegrityError:
        return Delivery.objects.get(report=report, schedule=schedule)


def due_schedules(cadence: str, period: Period) -> list[Schedule]:
    """Active schedules of ``cadence`` that existed when ``period``'s report fell due and have
    no delivery of a report of that period yet."""
    delivered = Delivery.objects.filter(
        schedule=OuterRef("pk"), report__cadence=cadence, report__period_start=period.start,
    )
    return list(
        Schedule.objects.filter(active=True, cadence=cadence, created_at__lte=period.due_at)
        .filter(~Exists(delivered))
        .select_related("recipient_user", "recipient_user__profile")
        .order_by("pk")
    )


def schedule_reports(*, now: Any = None) -> int:
    """For each schedule whose report is due, the report (made once per cadence, period,
    scope and language) and the schedule's delivery of it. Returns the deliveries created."""
    now = now or clock.now()
    created = 0
    for cadence in Cadence.values:
        period = last_due(cadence, now)
        for schedule in due_schedules(cadence, period):
            scope = Scope(schedule.scope, schedule.branch_id, schedule.department_id)
            language = recipient_language(schedule.recipient_user, schedule.language)
            report = request_report(period, scope, language)
            queue_delivery(
                report, schedule=schedule, user=schedule.recipient_user, email=schedule.recipient_email,
            )
            created += 1
    return created


def periodic_work() -> str:
    """Each minute (the worker's tick): create what is due, then queue the making of pending
    reports and the sending of deliveries whose report is ready. Cheap when nothing is due."""
    from . import tasks

    now = clock.now()
    created = schedule_reports(now=now)
    made = tasks.queue_due_reports(now)
    sent = tasks.queue_due_deliveries(now)
    return f"reports: {created} scheduled, {made} to make, {sent} to send"


def user_by_name(name: str) -> Any:
    """A user by username or email (for the console command); None when there is none."""
    users = get_user_model().objects.filter(is_active=True)
    return users.filter(username=name).first() or users.filter(email__iexact=name).first()


def pending_deliveries(report: Report) -> list[Delivery]:
    return list(report.deliveries.filter(status=DeliveryStatus.PENDING).order_by("pk"))
