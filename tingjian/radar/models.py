"""What the crisis radar stores: spikes found (crisis events), each public case's viral risk,
and the bookkeeping of its periodic runs.

A crisis event is evidence frozen at the time it was seen (counts, baseline, p-value, the
hourly series and the cases behind it), so the weekly report and the page show what the
people alerted saw, even after the cases move on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Dimension(models.TextChoices):
    ALL = "all", _("All complaints")
    CATEGORY = "category", _("Category")
    PRODUCT = "product", _("Product")
    BRANCH = "branch", _("Branch")
    CHANNEL = "channel", _("Channel")


class CrisisStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class CrisisEvent(models.Model):
    """A spike of new complaints in one dimension (a category, a branch…), while it lasts.

    One event per dimension and key is not closed at a time (a constraint): each scan that
    still finds the spike updates it instead of opening another.
    """

    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    # The id of the category, product or branch; the channel's code; "*" for all complaints.
    key = models.CharField(_("key"), max_length=40)
    # The key's name in each interface language when it was seen ({"zh-hant": …, "en": …}).
    names = models.JSONField(_("names"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    # The latest window in which the spike was found, and when it was found so.
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    last_seen_at = models.DateTimeField(_("last seen"))
    observed = models.PositiveIntegerField(_("complaints in the window"))
    peak_observed = models.PositiveIntegerField(_("most complaints in a window"))
    baseline = models.FloatField(_("usual count"))
    p_value = models.FloatField(_("p-value"))
    z_score = models.FloatField(_("z-score"))
    baseline_weeks = models.PositiveSmallIntegerField(_("weeks of history"))
    # [{"at": ISO hour start, "observed": n, "baseline": mean}, …] for the last 24 hours.
    series = models.JSONField(_("hourly counts"), default=list, blank=True)
    case_ids = models.JSONField(_("cases"), default=list, blank=True)
    example_case_ids = models.JSONField(_("example cases"), default=list, blank=True)
    safety = models.BooleanField(_("personal safety involved"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=CrisisStatus.choices, default=CrisisStatus.OPEN)
    # Set when the people were told; a spike that was the same cases as another one told in
    # the same breath is not told again (it is listed in that alert instead).
    alerted_at = models.DateTimeField(_("alerted"), null=True, blank=True)
    # The crisis this one is part of: the same cases seen in another dimension (異物 at a
    # branch also spikes the branch and the channel). Shown, acknowledged and closed with it.
    story = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="related",
        verbose_name=_("part of"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("acknowledged by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("closed by"),
    )
    close_note = models.CharField(_("closing note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "key"], condition=~Q(status="closed"), name="radar_one_live_crisis_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-started_at"], name="radar_crisis_status"),
            models.Index(fields=["last_seen_at"], name="radar_crisis_last_seen"),
        ]
        permissions = [
            ("view_radar", "Can see the crisis radar"),
            ("receive_crisis_alerts", "Is alerted of crises and may acknowledge and close them"),
        ]
        verbose_name = _("crisis event")
        verbose_name_plural = _("crisis events")

    def __str__(self) -> str:
        return f"{self.dimension}:{self.key} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        """The key's name in the reader's language."""
        if self.dimension == Dimension.ALL:
            return str(Dimension.ALL.label)
        lang = (get_language() or "zh-hant").lower()
        lang = lang if lang in ("zh-hant", "zh-hans") else "en" if lang.startswith("en") else "zh-hant"
        names = self.names or {}
        return str(names.get(lang) or names.get("en") or self.key)

    @property
    def is_live(self) -> bool:
        return self.status != CrisisStatus.CLOSED


class ViralRisk(models.Model):
    """How likely one public complaint is to spread, and why (recomputed by the sweep)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+", primary_key=True)
    score = models.PositiveSmallIntegerField(_("viral risk"))
    # [{"code": "reach", "points": 17, …facts}, …], largest contribution first.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed"))
    # When the score must be looked at again even if nothing new arrives (it grows with the
    # unanswered age and falls as the last hour's activity ages); null: not before news.
    next_due_at = models.DateTimeField(_("recompute at"), null=True, blank=True)
    # The oldest public message still waiting for our reply (null: none waits).
    unanswered_since = models.DateTimeField(_("unanswered since"), null=True, blank=True)
    # Above the threshold and already alerted: cleared when the score falls below, so each
    # crossing alerts once.
    alerted = models.BooleanField(_("alerted"), default=False)
    alerted_at = models.DateTimeField(_("last alerted"), null=True, blank=True)
    peak_score = models.PositiveSmallIntegerField(_("highest risk"))
    peak_at = models.DateTimeField(_("highest risk at"))
    peak_reasons = models.JSONField(_("reasons at the highest"), default=list, blank=True)

    class Meta:
        ordering = ["-score", "case_id"]
        indexes = [
            models.Index(fields=["-score", "case"], name="radar_risk_score"),
            models.Index(fields=["next_due_at"], name="radar_risk_due"),
            models.Index(fields=["-peak_score", "peak_at"], name="radar_risk_peak"),
        ]
        verbose_name = _("viral risk")
        verbose_name_plural = _("viral risks")

    def __str__(self) -> str:
        return f"case {self.case_id}: {self.score}"


class RadarRun(models.Model):
    """One row per periodic job: claimed with a conditional UPDATE so it runs once however
    many workers tick, and (for the viral sweep) the last message id already looked at."""

    name = models.CharField(max_length=40, primary_key=True)
    due_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=300, blank=True)
    watermark = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("radar run")
        verbose_name_plural = _("radar runs")

    def __str__(self) -> str:
        return f"{self.name} due {self.due_at:%Y-%m-%d %H:%M}"
