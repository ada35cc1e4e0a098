"""The company's structure: departments, teams, branches, products and the taxonomies.

Labels are kept in the three interface languages; ``label`` picks the reader's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Labelled(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh_hant = models.CharField(_("name (繁體中文)"), max_length=120)
    name_zh_hans = models.CharField(_("name (简体中文)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        lang = (get_language() or "zh-hant").lower()
        if lang.startswith("en"):
            return self.name_en
        if lang in {"zh-hans", "zh-cn", "zh-sg"}:
            return self.name_zh_hans
        return self.name_zh_hant


class Department(Labelled):
    class Meta(Labelled.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class Team(Labelled):
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(Labelled.Meta):
        verbose_name = _("team")
        verbose_name_plural = _("teams")


class Branch(Labelled):
    region = models.CharField(_("region"), max_length=80)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Taipei")

    class Meta(Labelled.Meta):
        verbose_name = _("branch")
        verbose_name_plural = _("branches")


class Product(Labelled):
    class Meta(Labelled.Meta):
        verbose_name = _("product")
        verbose_name_plural = _("products")


class Category(Labelled):
    """Two levels: a top-level group (parent empty) and its categories."""

    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta(Labelled.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id and self.parent and self.parent.parent_id:
            raise ValidationError(_("Categories have two levels: a group and its categories."))

    @property
    def full_label(self) -> str:
        return f"{self.parent.label} › {self.label}" if self.parent_id and self.parent else self.label


class RootCause(Labelled):
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta(Labelled.Meta):
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")


class Membership(models.Model):
    """A user belongs to departments; a head of department is its top rung for escalations."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships")
    is_head = models.BooleanField(_("head of department"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.department}"


class StaffProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hant"
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()
