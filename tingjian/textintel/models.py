"""What text intelligence keeps in the database: the administrators' domain dictionary, the
labels agents confirmed or corrected, and the models trained from them.

Everything else in this app is pure functions over text; these rows are the part people
change while the product runs. They reference users only (``settings.AUTH_USER_MODEL``),
never another Tingjian app: a case is named in ``TrainingExample.ref`` as plain text.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WordKind(models.TextChoices):
    PRODUCT = "product", _("product")
    BRANCH = "branch", _("branch")
    TERM = "term", _("complaint term")
    OTHER = "other", _("other")


class Task(models.TextChoices):
    CATEGORY = "category", _("category")
    SAFETY = "safety", _("personal safety")
    SENTIMENT = "sentiment", _("sentiment")
    URGENCY = "urgency", _("urgency")


class ExampleSource(models.TextChoices):
    REPO = "repo", _("labelled set in the repository")
    AGENT_CONFIRMED = "agent_confirmed", _("suggestion confirmed by an agent")
    AGENT_CORRECTED = "agent_corrected", _("suggestion corrected by an agent")


class DomainWord(models.Model):
    """A word the segmenter must keep whole (a product, a branch, a complaint term).

    ``word`` is shown as the administrator typed it; ``normalised`` (Simplified, lower case)
    is what the tokenizer learns and what makes 發票 and 发票 one entry.
    """

    word = models.CharField(_("word"), max_length=30)
    normalised = models.CharField(_("normalised form"), max_length=60, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=WordKind.choices, default=WordKind.TERM)
    synonyms = models.TextField(
        _("synonyms"), blank=True,
        help_text=_("Other spellings or translations, separated by commas: invoice, 收據, receipt."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["kind", "normalised"]
        verbose_name = _("domain word")
        verbose_name_plural = _("domain words")

    def __str__(self) -> str:
        return self.word


class TrainingExample(models.Model):
    """One labelled text beside the repository's set: an agent accepted or changed a suggestion.

    When several rows share a task and a ``ref`` (the agent changed their mind), training
    uses the newest one only.
    """

    task = models.CharField(_("task"), max_length=12, choices=Task.choices)
    text = models.TextField(_("text"))
    label = models.CharField(_("label"), max_length=60)
    source = models.CharField(_("source"), max_length=20, choices=ExampleSource.choices)
    ref = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    predicted_label = models.CharField(_("suggested label"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("labelled by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "created_at"])]
        verbose_name = _("training example")
        verbose_name_plural = _("training examples")

    def __str__(self) -> str:
        return f"{self.task}: {self.label}"


class TrainedModel(models.Model):
    """A fitted classifier as plain numbers (vocabulary, idf, coefficients), never a pickle:
    reading a row can never execute code. The highest version per task is the one in use."""

    task = models.CharField(_("task"), max_length=12, choices=Task.choices)
    version = models.PositiveIntegerField(_("version"))
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    params = models.JSONField(_("parameters"))
    metrics = models.JSONField(_("held-out metrics"), default=dict)
    repo_examples = models.PositiveIntegerField(_("examples from the repository"), default=0)
    agent_examples = models.PositiveIntegerField(_("examples from agents"), default=0)
    seed = models.IntegerField(_("seed"), default=0)

    class Meta:
        ordering = ["task", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["task", "version"], name="trained_model_unique_version")
        ]
        verbose_name = _("trained model")
        verbose_name_plural = _("trained models")

    def __str__(self) -> str:
        return f"{self.task} v{self.version}"
