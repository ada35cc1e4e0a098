"""What insights stores: daily facts (the rollup), KPI targets, and the per-10,000 figures.

The rollup is derived data: ``tingjian insights rebuild`` can always recompute it from the
cases. Denominators, targets, publications and disputes are people's input and are audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# In the rollup's dimension columns, ALL means "every value" (the row sums over them) and
# NONE means "the case has no value here" (no branch, say).
ALL = 0
NONE = -1
ALL_CHANNELS = "*"


class DayFacts(models.Model):
    """The facts of one local day for one combination of branch, department and channel.

    Each day has a row for every grouping of the three columns (ALL in a column sums over
    it), so a dashboard filtered by any combination reads about one row per day and never
    scans cases. ``measures`` holds additive values only (counts, sums, duration sketches,
    per-hour and per-category counts), so any period is the sum of its days.
    """

    day = models.DateField(_("day"))
    branch = models.IntegerField(_("branch"), default=ALL)
    department = models.IntegerField(_("department"), default=ALL)
    channel = models.CharField(_("channel"), max_length=20, default=ALL_CHANNELS)
    measures = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("daily facts")
        verbose_name_plural = _("daily facts")
        constraints = [
            models.UniqueConstraint(fields=["day", "branch", "department", "channel"], name="dayfacts_unique"),
        ]
        indexes = [models.Index(fields=["branch", "department", "channel", "day"], name="dayfacts_slice")]
        permissions = [
            ("view_insights", "Can see KPIs, diagnostics and the dashboard"),
            ("manage_targets", "Can set KPI targets"),
        ]

    def __str__(self) -> str:
        return f"{self.day} b{self.branch} d{self.department} {self.channel}"


class RollupMark(models.Model):
    """How far the incremental rollup has read (one row per source it follows)."""

    name = models.CharField(max_length=40, unique=True)
    mark = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.mark:%Y-%m-%d %H:%M:%S}"


class DirtyDay(models.Model):
    """A local day whose facts must be recomputed (queued by the sweep, cleared by the task).

    A worker claims a day by setting ``claimed_until`` with a conditional UPDATE, so two
    workers never compute the same day; a claim that outlives its worker expires. If the day
    is queued again while it is being computed (``queued_at`` moves), the row stays for the
    next run.
    """

    day = models.DateField(unique=True)
    queued_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.day)


class Direction(models.TextChoices):
    AT_MOST = "at_most", _("at most")
    AT_LEAST = "at_least", _("at least")


class KpiTarget(models.Model):
    """A target for one KPI, company-wide or for one branch or department."""

    kpi = models.CharField(_("KPI"), max_length=40)
    branch = models.ForeignKey("org.Branch", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("branch"))
    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("department"))
    value = models.FloatField(_("target"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            # One target per KPI and scope; three partial constraints because SQLite has no
            # NULLS NOT DISTINCT.
            models.UniqueConstraint(
                fields=["kpi"], condition=models.Q(branch__isnull=True, department__isnull=True),
                name="kpitarget_unique_company",
            ),
            models.UniqueConstraint(
                fields=["kpi", "branch"], condition=models.Q(branch__isnull=False), name="kpitarget_unique_branch",
            ),
            models.UniqueConstraint(
                fields=["kpi", "department"], condition=models.Q(department__isnull=False),
                name="kpitarget_unique_department",
            ),
            models.CheckConstraint(
                condition=models.Q(branch__isnull=True) | models.Q(department__isnull=True),
                name="kpitarget_one_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.direction} {self.value}"


class Basis(models.TextChoices):
    CUSTOMERS = "customers", _("customers served")
    TRANSACTIONS = "transactions", _("transactions")


class Denominator(models.Model):
    """How many customers (or transactions) a branch served in a month: the 10,000 in
    "complaints per 10,000 customers"."""

    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    month = models.DateField(_("month"), help_text=_("the first day of the month"))
    basis = models.CharField(_("counted"), max_length=20, choices=Basis.choices, default=Basis.CUSTOMERS)
    value = models.PositiveIntegerField(_("count"))
    source = models.CharField(_("source"), max_length=20, default="form")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("denominator")
        verbose_name_plural = _("denominators")
        ordering = ["-month", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "month"], name="denominator_unique"),
            models.CheckConstraint(condition=models.Q(value__gt=0), name="denominator_positive"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="denominator_first_of_month"),
        ]
        permissions = [
            ("publish_rates", "Can publish the per-10,000 figures of a month"),
            ("dispute_rate", "Can dispute a published per-10,000 figure"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.month:%Y-%m}: {self.value}"


class Publication(models.Model):
    """The frozen per-10,000 figures of one month. A correction is a new version; a
    published version is never changed (the figures live in ``figures`` as they were)."""

    month = models.DateField(_("month"))
    version = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by"))
    reason = models.TextField(_("reason for the new version"), blank=True)
    # [{"branch": id, "complaints": n, "denominator": n | null, "basis": str, "rate": float | null}]
    figures = models.JSONField(default=list)

    class Meta:
        verbose_name = _("published per-10,000 figures")
        verbose_name_plural = _("published per-10,000 figures")
        ordering = ["-month", "-version"]
        constraints = [models.UniqueConstraint(fields=["month", "version"], name="publication_unique")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version}"


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class Dispute(models.Model):
    """A branch's objection to its published figure, kept beside the figure."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="disputes")
    branch = models.ForeignKey("org.Branch", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    text = models.TextField(_("why the figure is wrong"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by"))
    filed_at = models.DateTimeField(_("filed"))
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-filed_at"]
        indexes = [models.Index(fields=["publication", "branch"])]

    def __str__(self) -> str:
        return f"{self.publication} {self.branch_id}: {self.status}"
