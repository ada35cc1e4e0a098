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


class IdentitySource(models.TextChoices):
    """How we learned that a handle belongs to the customer (provenance)."""

    CHANNEL = "channel", _("wrote to us on the channel")
    GIVEN = "given", _("given by the customer (form, call, email sender)")
    UNIONID = "unionid", _("same WeChat unionid")
    AGENT = "agent", _("entered by staff")


class Customer(models.Model):
    display_name = models.CharField(_("display name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hant"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Set while this customer is merged into another; cleared again by an un-merge.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("merged into"),
    )

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
    source = models.CharField(
        _("how we know"), max_length=20, choices=IdentitySource.choices, default=IdentitySource.AGENT
    )
    # WeChat: the unionid shared by the person's openids across official accounts.
    unionid = models.CharField(_("WeChat unionid"), max_length=64, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="identity_unique_per_kind")
        ]
        ordering = ["kind", "external_id"]
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.external_id}"


class CustomerMerge(models.Model):
    """One merge of ``absorbed`` into ``survivor``, with what moved, so it can be undone."""

    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_kept")
    absorbed = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="merges_absorbed")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    why = models.TextField(_("why"))
    merged_at = models.DateTimeField(_("merged"))
    # {"identities": [ids], "cases": [ids]}: what moved from absorbed to survivor.
    moved = models.JSONField(default=dict)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undo_why = models.TextField(_("why undone"), blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        indexes = [models.Index(fields=["survivor", "-merged_at"]), models.Index(fields=["absorbed", "-merged_at"])]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class MatchReason(models.TextChoices):
    PHONE_IN_TEXT = "phone_in_text", _("a phone number in the message belongs to the other customer")
    EMAIL_IN_TEXT = "email_in_text", _("an email address in the message belongs to the other customer")
    GIVEN_HANDLE = "given_handle", _("gave a phone or email that belongs to the other customer")
    SAME_NAME_BRANCH = "same_name_branch", _("same name, same branch")
    REPLIED_TO_THREAD = "replied_to_thread", _("replied to the other customer's email thread")


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("not the same person")


class MatchSuggestion(models.Model):
    """"These two may be one person": shown to agents, never acted on by itself."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="match_suggestions")
    candidate = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=30, choices=MatchReason.choices)
    evidence = models.CharField(_("evidence"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    created_at = models.DateTimeField(_("created"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "candidate", "reason"], name="match_suggestion_unique"),
            models.CheckConstraint(condition=~models.Q(customer=models.F("candidate")), name="match_suggestion_not_self"),
        ]
        indexes = [models.Index(fields=["customer", "status"]), models.Index(fields=["candidate", "status"])]
        verbose_name = _("match suggestion")
        verbose_name_plural = _("match suggestions")

    def __str__(self) -> str:
        return f"{self.customer_id} ~ {self.candidate_id} ({self.reason})"


class HandleMention(models.Model):
    """A phone or email a customer *wrote in a message* — maybe theirs, maybe a relative's.

    Never an identity (that would file the relative's calls under this customer); when the
    handle turns up as someone else's, the two are suggested as a possible match.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="mentions")
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    value = models.CharField(max_length=255)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "kind", "value"], name="handle_mention_unique")]
        indexes = [models.Index(fields=["kind", "value"])]
        verbose_name = _("handle mentioned in a message")
        verbose_name_plural = _("handles mentioned in messages")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value} in {self.customer_id}'s message"
