"""Knowledge articles, reply templates and the record of each template's use.

Categories are the organisation's (``org.Category``), referred to by their ``code``:
knowledge sits in the same layer as org and may not import it, and a code outlives a
renamed label. The web layer turns codes into labels.

Models validate themselves (``clean``); every write goes through ``knowledge.services``,
which checks permissions, writes the audit event and keeps the search index current.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import variables
from .languages import Reading, chinese_in, reading_for


class Authored(models.Model):
    """Who wrote a knowledge entry and when (set by the services, which also audit it)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        abstract = True


class Article(Authored):
    """One piece of know-how, in Chinese (either script), English, or both."""

    title_zh = models.CharField(_("title (Chinese)"), max_length=200, blank=True)
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    category_code = models.SlugField(_("category"), max_length=40, blank=True, db_index=True)
    tags = models.CharField(
        _("tags"), max_length=300, blank=True, help_text=_("Words that help find the article, separated by commas."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["is_published", "-updated_at"])]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")

    def __str__(self) -> str:
        return self.title_zh or self.title_en

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for title, body in (("title_zh", "body_zh"), ("title_en", "body_en")):
            has_title, has_body = bool(getattr(self, title).strip()), bool(getattr(self, body).strip())
            if has_title and not has_body:
                errors.setdefault(body, []).append(str(_("A title needs its text.")))
            elif has_body and not has_title:
                errors.setdefault(title, []).append(str(_("The text needs a title.")))
        if errors:
            raise ValidationError(errors)
        if not self.has_chinese and not self.has_english:
            raise ValidationError(_("Write the article in Chinese, in English, or in both."))

    @property
    def has_chinese(self) -> bool:
        return bool(self.title_zh.strip() and self.body_zh.strip())

    @property
    def has_english(self) -> bool:
        return bool(self.title_en.strip() and self.body_en.strip())

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def shown_language(self, reading: Reading) -> str:
        """"zh" or "en": the reader's own when written, the other one otherwise."""
        if reading == "en":
            return "en" if self.has_english else "zh"
        return "zh" if self.has_chinese else "en"

    def title_for(self, reading: Reading) -> str:
        if self.shown_language(reading) == "en":
            return self.title_en
        return chinese_in(self.title_zh, reading)

    def body_for(self, reading: Reading) -> str:
        if self.shown_language(reading) == "en":
            return self.body_en
        return chinese_in(self.body_zh, reading)

    @property
    def reader_title(self) -> str:
        """The title in the active language, for templates (as org's ``label`` is)."""
        return self.title_for(reading_for(get_language()))

    @property
    def reader_body(self) -> str:
        return self.body_for(reading_for(get_language()))


class ReplyTemplate(Authored):
    """A ready reply with variables (``knowledge.variables``), inserted into the reply box."""

    name = models.CharField(_("name"), max_length=120)
    body_zh = models.TextField(_("text (Chinese)"), blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    category_code = models.SlugField(_("category"), max_length=40, blank=True, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    use_count = models.PositiveIntegerField(_("uses"), default=0)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["is_active", "-use_count"])]
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for field in ("body_zh", "body_en"):
            found = variables.problems(getattr(self, field))
            if found:
                errors[field] = found
        if errors:
            raise ValidationError(errors)
        if not self.body_zh.strip() and not self.body_en.strip():
            raise ValidationError(_("Write the template in Chinese, in English, or in both."))

    def shown_language(self, reading: Reading) -> str:
        if reading == "en":
            return "en" if self.body_en.strip() else "zh"
        return "zh" if self.body_zh.strip() else "en"

    def body_for(self, reading: Reading) -> str:
        """The text with its variables still in it, in the reader's language and script."""
        if self.shown_language(reading) == "en":
            return self.body_en
        return chinese_in(self.body_zh, reading)

    @property
    def reader_body(self) -> str:
        return self.body_for(reading_for(get_language()))


class TemplateUse(models.Model):
    """One insertion of a template into a reply: who, on which case, when. The case is kept
    by its number, as the support lead reads it, because knowledge may not import cases."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.PROTECT, related_name="uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    case_ref = models.CharField(_("case"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["template", "-at"])]
        verbose_name = _("template use")
        verbose_name_plural = _("template uses")

    def __str__(self) -> str:
        return f"{self.template_id} on {self.case_ref} at {self.at:%Y-%m-%d %H:%M}"
