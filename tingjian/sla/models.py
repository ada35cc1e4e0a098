"""Service levels: business calendars, targets, the SLA settings and each case's clocks.

A clock is a row, not a computation: its target, due time, paused time and the moment it
was met or breached are stored, so reports count them exactly and a restart loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BusinessCalendar(models.Model):
    """Opening hours per weekday, holidays and make-up workdays, in one time zone."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Taipei")
    # Used for cases whose branch has no calendar of its own.
    is_default = models.BooleanField(_("default calendar"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """One open interval on a weekday. ``closes`` 00:00 means midnight (the end of the day)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class DayKind(models.TextChoices):
    CLOSED = "closed", _("Holiday (closed)")
    WORKDAY = "workday", _("Make-up workday (open)")


class Holiday(models.Model):
    """A date that differs from the weekly hours, entered in the list of one year.

    ``closed``: a holiday. ``workday``: a weekend day worked in exchange for a bridge holiday
    (補班 / 调休), open with the hours of ``hours_of`` (a weekday).
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices, default=DayKind.CLOSED)
    hours_of = models.PositiveSmallIntegerField(
        _("open with the hours of"), choices=Weekday.choices, default=Weekday.FRIDAY
    )

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_holiday_one_per_date"),
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class BranchCalendar(models.Model):
    """Which calendar a branch's business hours follow (at most one per branch)."""

    branch = models.OneToOneField("org.Branch", on_delete=models.CASCADE, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="branches")

    class Meta:
        verbose_name = _("branch calendar")
        verbose_name_plural = _("branch calendars")

    def __str__(self) -> str:
        return f"{self.branch_id} → {self.calendar_id}"


class ClockKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    STAGE = "stage", _("Time in stage")
    RESOLUTION = "resolution", _("Resolution")


class Target(models.Model):
    """How long one kind of clock may run, for the cases it matches.

    Empty severity, channel or category match any; the most specific matching target wins
    (category, then channel, then severity). ``business_hours`` makes the clock count only
    the opening hours of the case's branch calendar; otherwise it runs 24/7.
    """

    kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    severity = models.PositiveSmallIntegerField(_("severity"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    category = models.ForeignKey(
        "org.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("category"),
    )
    minutes = models.PositiveIntegerField(_("target (minutes)"))
    business_hours = models.BooleanField(_("business hours only"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "stage", "severity", "channel"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="sla_target_positive"),
            models.CheckConstraint(
                condition=Q(severity__isnull=True) | Q(severity__gte=1, severity__lte=4),
                name="sla_target_severity_s1_to_s4",
            ),
            models.CheckConstraint(
                condition=(Q(kind="stage") & ~Q(stage="")) | (~Q(kind="stage") & Q(stage="")),
                name="sla_target_stage_only_for_stage_clocks",
            ),
        ]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")

    def __str__(self) -> str:
        return f"{self.kind}{':' + self.stage if self.stage else ''} S{self.severity or '*'} {self.channel or '*'} {self.minutes} min"


class SlaSettings(models.Model):
    """The one row of company-wide SLA rules (pk=1): reminder share, pauses, the ladder."""

    # xgettext:no-python-format
    reminder_percent = models.PositiveSmallIntegerField(_("remind at (% of target)"), default=75)
    # Values of Case.waiting_on that pause the clocks (resolution and time in stage).
    pause_on = models.JSONField(_("pause while waiting on"), default=list, blank=True)
    safety_department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("safety department (品保/食安)"),
    )
    safety_first_response_minutes = models.PositiveIntegerField(_("safety: first response (minutes)"), default=15)
    team_lead_after_minutes = models.PositiveIntegerField(_("team lead after breach (minutes)"), default=30)
    department_head_after_minutes = models.PositiveIntegerField(_("department head after (minutes)"), default=60)
    executive_after_minutes = models.PositiveIntegerField(_("executives after (minutes)"), default=120)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_percent__gte=1, reminder_percent__lte=99), name="sla_reminder_1_to_99"
            ),
            models.CheckConstraint(condition=Q(safety_first_response_minutes__gt=0), name="sla_safety_target_positive"),
        ]
        verbose_name = _("SLA settings")
        verbose_name_plural = _("SLA settings")

    def __str__(self) -> str:
        return "SLA settings"


class Rung(models.IntegerChoices):
    """The escalation ladder. A missing rung (no team lead, say) is skipped."""

    NONE = 0, _("Not escalated")
    HANDLER = 1, _("Handler")
    TEAM_LEAD = 2, _("Team lead")
    DEPARTMENT_HEAD = 3, _("Department head")
    EXECUTIVE = 4, _("Executives")


class ClockQuerySet(models.QuerySet["Clock"]):
    def open(self) -> ClockQuerySet:
        return self.filter(met_at__isnull=True, cancelled_at__isnull=True)


class Clock(models.Model):
    """One SLA clock of one case.

    Time is counted in seconds of the clock's calendar (all seconds when 24/7):
    ``consumed_seconds`` were used before ``running_since``; while paused ``running_since``
    and ``due_at`` are empty. ``next_fire_at`` is the earliest pending reminder, breach or
    escalation, so the sweep and the timers find work with one indexed comparison.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    kind = models.CharField(_("clock"), max_length=20, choices=ClockKind.choices)
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    target = models.ForeignKey(Target, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    business_hours = models.BooleanField(_("business hours only"), default=False)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(null=True, blank=True)
    consumed_seconds = models.FloatField(default=0)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.FloatField(_("paused (seconds)"), default=0)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    remind_at = models.DateTimeField(_("reminder at"), null=True, blank=True)
    # When the badge turns red: 90 % of the target used (never before the reminder).
    red_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalated to"), choices=Rung.choices, default=Rung.NONE)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_fire_at = models.DateTimeField(null=True, blank=True)
    # The moment a wake-up task was last queued for (schedule.arm): not queued twice.
    armed_for = models.DateTimeField(null=True, blank=True)
    # Bumped on every recomputation; shown in the audit trail beside the old and new due time.
    version = models.PositiveIntegerField(default=1)

    objects = ClockQuerySet.as_manager()

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["next_fire_at"], condition=Q(next_fire_at__isnull=False), name="sla_clock_fire"),
            models.Index(
                fields=["due_at"], condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="sla_clock_open_due",
            ),
            models.Index(fields=["case", "kind"], name="sla_clock_case_kind"),
            # The insights rollup counts clocks on the day they were met or breached.
            models.Index(fields=["met_at"], condition=Q(met_at__isnull=False), name="sla_clock_met"),
            models.Index(fields=["breached_at"], condition=Q(breached_at__isnull=False), name="sla_clock_breached"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(target_seconds__gt=0), name="sla_clock_target_positive"),
        ]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")

    def __str__(self) -> str:
        return f"{self.kind}{':' + self.stage if self.stage else ''} of case {self.case_id}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    @property
    def is_paused(self) -> bool:
        return self.is_open and self.running_since is None

    def state(self, now: datetime) -> str:
        """green, amber (past the reminder), red (90 % used), breached; paused, met, met_late, cancelled."""
        if self.cancelled_at:
            return "cancelled"
        if self.met_at:
            return "met_late" if self.breached_at else "met"
        if self.breached_at or (self.due_at and self.due_at <= now):
            return "breached"
        if self.running_since is None:
            return "paused"
        if self.red_at and self.red_at <= now:
            return "red"
        if self.remind_at and self.remind_at <= now:
            return "amber"
        return "green"
