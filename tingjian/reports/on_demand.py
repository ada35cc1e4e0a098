"""Reports on demand: the preview page's snapshot and the console's "make and send it now".

Responsible for: choosing the period (refusing one that has not started), the scope and the
language from what a person typed, and then using the same services, generation and
delivery as the schedules — so a report sent by hand is still made once per cadence,
period, scope and language and each delivery is still sent once. Must never: make a PDF for
the preview (that is the tasks' work), or resend a delivery that was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from tingjian import clock

from .models import Cadence, DeliveryStatus, Report, Schedule
from .periods import Period, containing, local_zone
from .services import (
    VIEW_PERMISSION,
    parse_scope,
    queue_delivery,
    recipient_language,
    request_report,
    same_scope,
    user_by_name,
)

# ---------------------------------------------------------------------------- preview


def ensure_may_view_reports(user: Any) -> None:
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied(_("Only managers, executives and administrators may read service reports."))


def preview_period(cadence: str, day: Any, *, today: Any) -> Period:
    """The period to preview: the one containing ``day``, or the last finished one. A period
    that has not started is refused with a clear message."""
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": _("Choose weekly or monthly.")})
    period = containing(cadence, day) if day else containing(cadence, today).previous()
    if period.start > today:
        raise ValidationError({"period_start": _(
            "The period %(start)s – %(end)s has not started yet; choose one up to today."
        ) % {"start": period.start.isoformat(), "end": period.end.isoformat()}})
    return period


def preview(*, user: Any, cadence: str, day: Any, scope: str, language: str) -> tuple[Period, dict[str, Any]]:
    """A report's snapshot made now, not stored or sent (the preview page)."""
    from . import compose

    ensure_may_view_reports(user)
    today = clock.now().astimezone(local_zone()).date()
    period = preview_period(cadence, day, today=today)
    resolved = parse_scope(scope)
    data = compose.compose(
        period=period, scope=resolved.kind, branch_id=resolved.branch_id, department_id=resolved.department_id,
        language=recipient_language(user, language),
    )
    return period, data


# ---------------------------------------------------------------------------- now, by hand


@dataclass
class SentNow:
    report: Report
    results: list[str]


def remake(report: Report) -> bool:
    """Make a ready or failed report again from today's numbers (deliveries already sent
    keep what they sent: the email left with the old PDF)."""
    return bool(
        Report.objects.filter(pk=report.pk, status__in=["ready", "failed"]).update(
            status="pending", attempts=0, error="", due_at=None, claimed_at=None,
        )
    )


def send_now(
    *, cadence: str, day: Any = None, scope: str = "all", to: str = "", language: str = "", refresh: bool = False,
) -> list[SentNow]:
    """Make a report now and email it (the console's ``tingjian reports send``): to ``to``
    (a username or an address) once, or else to every active schedule of that cadence and
    scope that has not had it. Raises ValidationError with a clear message on bad input."""
    from . import delivery, generation

    today = clock.now().astimezone(local_zone()).date()
    period = preview_period(cadence, day, today=today)
    resolved = parse_scope(scope)
    if to:
        user = user_by_name(to)
        email = ""
        if user is None:
            try:
                validate_email(to)
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(to)s” is neither an active user nor an email address.") % {"to": to},
                ) from exc
            email = to
        targets: list[tuple[Any, str, Schedule | None, str]] = [
            (user, email, None, recipient_language(user, language)),
        ]
    else:
        schedules = Schedule.objects.filter(active=True, cadence=cadence, scope=resolved.kind).filter(
            same_scope(resolved),
        ).select_related("recipient_user", "recipient_user__profile")
        targets = [
            (s.recipient_user, s.recipient_email, s, recipient_language(s.recipient_user, language or s.language))
            for s in schedules
        ]
        if not targets:
            raise ValidationError(_("No active schedule gets this report; name a recipient with --to."))
    done: dict[int, SentNow] = {}
    for user, email, schedule, lang in targets:
        report = request_report(period, resolved, lang)
        if report.pk not in done:
            if refresh:
                remake(report)
            generation.generate(report.pk)
            report.refresh_from_db()
            if report.status != "ready":
                raise ValidationError(_("The report could not be made: %(error)s") % {"error": report.error})
            done[report.pk] = SentNow(report, [])
        item = queue_delivery(report, schedule=schedule, user=user, email=email)
        if item.status == DeliveryStatus.SENT:
            done[report.pk].results.append("already sent")
        else:
            done[report.pk].results.append(delivery.send(item.pk))
    return list(done.values())
