"""A customer is one person, however many channels they reach us on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdentityKind(models.TextChoices):
    LINE = "line", _("LINE userId")
    WECHAT_OPENID = "wechat_openid", _("WeChat openid")
    WECHAT_UNIONID = "wechat_unionid", _("WeChat unionid")
    MESSENGER = "messenger", _("Messenger PSID")
    INSTAGRAM = "instagram", _("Instagram ID")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


class Customer(models.Model):
    display_name = models.CharField(_("display name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hant"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["display_name"])]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = []

    def __str__(self) -> str:
        return self.display_name


class Identity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    external_id = models.CharField(_("external id"), max_length=255)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="identity_unique_per_kind")
        ]
        ordering = ["kind", "external_id"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.external_id}"
