"""What the reports app stores: who gets which report (Schedule), every report made (Report,
the archive) and every email of one (Delivery).

A report is made once per cadence, period, scope and language, whoever asked for it; each
recipient gets a Delivery of it, sent at most once. The unique constraints below are what
make "once" hold when two workers, or a restarted one, do the same work.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Cadence(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ScopeKind(models.TextChoices):
    ALL = "all", _("The whole company")
    BRANCH = "branch", _("A branch")
    DEPARTMENT = "department", _("A department")


class Schedule(models.Model):
    """One recipient's standing order for a report: weekly on Monday or monthly on the 1st,
    at 08:00 local time, for the whole company, a branch or a department."""

    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("recipient"),
    )
    recipient_email = models.EmailField(_("email address"), blank=True)
    # Blank: the user's own language (read when the report is made); an address without a
    # user gets the site's default language unless one is chosen here.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    scope = models.CharField(_("scope"), max_length=12, choices=ScopeKind.choices, default=ScopeKind.ALL)
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("branch"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["cadence", "scope", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient_user__isnull=False) & Q(recipient_email=""))
                | (Q(recipient_user__isnull=True) & ~Q(recipient_email="")),
                name="reports_schedule_one_recipient",
            ),
            models.CheckConstraint(
                condition=(Q(scope="all") & Q(branch__isnull=True) & Q(department__isnull=True))
                | (Q(scope="branch") & Q(branch__isnull=False) & Q(department__isnull=True))
                | (Q(scope="department") & Q(branch__isnull=True) & Q(department__isnull=False)),
                name="reports_schedule_scope_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadence} {self.scope_key} → schedule {self.pk}"

    @property
    def scope_key(self) -> str:
        return scope_key(self.scope, self.branch_id, self.department_id)


def scope_key(scope: str, branch_id: int | None, department_id: int | None) -> str:
    """"all", "branch:3" or "department:5": one comparable value for a report's scope."""
    if scope == ScopeKind.BRANCH:
        return f"branch:{branch_id}"
    if scope == ScopeKind.DEPARTMENT:
        return f"department:{department_id}"
    return "all"


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be made")
    GENERATING = "generating", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """One weekly or monthly report as it was made: its numbers (``data``), the HTML sent by
    email and the PDF, kept unchanged for the archive."""

    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    scope = models.CharField(_("scope"), max_length=12, choices=ScopeKind.choices, default=ScopeKind.ALL)
    branch = models.ForeignKey(
        "org.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("branch"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )
    # "all", "branch:<id>", "department:<id>": NULL-free, so the unique constraint holds.
    scope_key = models.CharField(max_length=40)
    scope_label = models.CharField(_("scope"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    requested_at = models.DateTimeField(_("requested"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the sweep next (re-)queues the work: set forward each time it is queued, so a
    # busy queue does not receive the same task every minute.
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    generated_at = models.DateTimeField(_("made"), null=True, blank=True)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(blank=True, default=b"")

    class Meta:
        verbose_name = _("service report")
        verbose_name_plural = _("service reports")
        ordering = ["-period_start", "cadence", "scope_key", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadence", "period_start", "scope_key", "language"], name="reports_report_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reports_report_due")]

    def __str__(self) -> str:
        return f"{self.cadence} {self.period_start}–{self.period_end} {self.scope_key} {self.language}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One email of one report to one recipient. Claimed with a conditional UPDATE before it
    is sent, so it is never sent twice."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    # Null for a one-off send (``tingjian reports send --to``) or once the schedule is deleted.
    schedule = models.ForeignKey(Schedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries")
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    recipient_email = models.EmailField(_("email address"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField(_("created"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Plain words, never the address or the server's reply (which may quote it).
    error = models.CharField(_("problem"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "schedule"], condition=Q(schedule__isnull=False), name="reports_delivery_once",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="reports_delivery_due")]

    def __str__(self) -> str:
        return f"delivery {self.pk} of report {self.report_id}: {self.status}"
