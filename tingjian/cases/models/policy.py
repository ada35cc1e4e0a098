"""Service policy versions and the records the engine keeps (QA sign-offs, overrides)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    """One loaded version of a policy file. Never edited: a change is a new version."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source file"), max_length=300)
    sha256 = models.CharField(max_length=64, unique=True)
    document = models.JSONField()
    loaded_at = models.DateTimeField(_("loaded"))
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class QAReview(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="qa_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checklist = models.JSONField(default=dict)
    passed = models.BooleanField()
    comment = models.TextField(blank=True)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at"]
        verbose_name = _("QA review")
        verbose_name_plural = _("QA reviews")

    def __str__(self) -> str:
        return f"QA {self.case_id} by {self.reviewer_id}"


class Override(models.Model):
    """A break-glass transition past failed guards: who, when, which guards, why."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transition = models.CharField(max_length=64)
    from_stage = models.CharField(max_length=20)
    to_stage = models.CharField(max_length=20)
    failed_guards = models.JSONField(default=list)
    reason = models.TextField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "at"])]
        verbose_name = _("override")
        verbose_name_plural = _("overrides")

    def __str__(self) -> str:
        return f"override {self.transition} on {self.case_id}"
