"""Surveys: one invitation per closed case, the customer's one answer, and QA's follow-up.

An invitation's link carries a random token; only its SHA-256 is looked up, and the token
itself is kept sealed (``tingjian.sealed``) so the sending task can build the link again
for a retry. Nothing here sends anything: ``sending`` does, in a task.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tingjian.cases.models import Case, Message


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")
    # The customer cannot be reached on any channel: nothing is sent, and the sweep does not
    # look at the case again.
    SKIPPED = "skipped", _("Not sent (customer unreachable)")


class Invitation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_sealed = models.TextField(blank=True, editable=False)
    # How it went: the case's channel (line, wechat, messenger…) or "email"; blank until sent.
    channel = models.CharField(_("sent by"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hant")
    # The name the customer knows us by (the channel they wrote to), shown on the page.
    brand = models.CharField(_("brand"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the worker sending it right now, so a second worker never sends it too.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The automatic message on the case thread, when it went by the case's channel.
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case"], name="survey_invitation_one_per_case")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")

    def __str__(self) -> str:
        return f"survey invitation {self.pk} ({self.status})"

    @property
    def delivery_status(self) -> str:
        """Sent to the channel is not yet delivered: a channel's message says how it went."""
        if self.message is not None:
            return self.message.delivery_status
        return self.status


class Answer(models.Model):
    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="answer", verbose_name=_("invitation"))
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("recommendation (0–10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), db_index=True)
    # The customer pressed the second step's button: nothing may change after this.
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # The comment analysed like complaint text (textintel), by a task after the answer.
    sentiment = models.CharField(_("sentiment"), max_length=20, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    safety = models.BooleanField(_("mentions personal safety"), default=False)
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat__isnull=True) | models.Q(csat__gte=1, csat__lte=5), name="survey_answer_csat_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(nps__isnull=True) | models.Q(nps__gte=0, nps__lte=10), name="survey_answer_nps_0_to_10",
            ),
        ]
        # The roles grant "surveys.view_surveyanswer" (org.roles).
        permissions = [("view_surveyanswer", "Can see survey answers")]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")

    def __str__(self) -> str:
        return f"survey answer {self.pk}"

    @property
    def is_complete(self) -> bool:
        return self.completed_at is not None


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class FollowUp(models.Model):
    """A task for QA opened by a low score or a safety mention in the comment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="follow_up", verbose_name=_("answer"))
    # Why it was opened: "csat", "nps", "safety".
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN)
    opened_at = models.DateTimeField(_("opened"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("taken by"))
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("done by"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    resolution = models.TextField(_("what was done"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["status", "-opened_at"])]
        verbose_name = _("survey follow-up")
        verbose_name_plural = _("survey follow-ups")

    def __str__(self) -> str:
        return f"follow-up {self.pk} ({self.status})"
