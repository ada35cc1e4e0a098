"""The case: one complaint from intake to closed.

A case's stage is moved only by ``cases.workflow``; ``save()`` and ``update()`` refuse a
stage change that did not come through the engine (ARCHITECTURE rule 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tingjian.customers.models import Customer
from tingjian.org.models import Branch, Category, Department, Product, RootCause, Team


class StageChangeOutsideEngine(Exception):
    """Someone tried to move a case's stage without the workflow engine."""


_engine_moving: ContextVar[bool] = ContextVar("engine_moving", default=False)


@contextmanager
def engine_moving_stage() -> Iterator[None]:
    """Only ``cases.workflow`` enters this: inside it a stage may change."""
    token = _engine_moving.set(True)
    try:
        yield
    finally:
        _engine_moving.reset(token)


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    INVESTIGATION = "investigation", _("Investigation")
    RESPONSE = "response", _("Response")
    QA = "qa", _("QA")
    CLOSED = "closed", _("Closed")


STAGE_ORDER = [Stage.INTAKE, Stage.INVESTIGATION, Stage.RESPONSE, Stage.QA, Stage.CLOSED]


class Severity(models.IntegerChoices):
    S1 = 1, _("S1 · personal safety")
    S2 = 2, _("S2 · major")
    S3 = 3, _("S3 · moderate")
    S4 = 4, _("S4 · minor")


class ChannelKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("In person")
    EMAIL = "email", _("Email")
    WEBFORM = "webform", _("Web form")
    LINE = "line", _("LINE")
    WECHAT = "wechat", _("WeChat")
    MESSENGER = "messenger", _("Messenger")
    INSTAGRAM = "instagram", _("Instagram")
    WEIBO = "weibo", _("Weibo")
    API = "api", _("API")


class ResolutionCode(models.TextChoices):
    EXPLAINED = "explained", _("Explained, no fault")
    APOLOGY = "apology", _("Apology")
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
    COMPENSATION = "compensation", _("Compensation")
    CORRECTIVE_ACTION = "corrective_action", _("Corrective action taken")
    REFERRED = "referred", _("Referred to another party")


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    DUPLICATE = "duplicate", _("Duplicate")
    SPAM = "spam", _("Spam")


class WaitingOn(models.TextChoices):
    """Who the case waits for; the SLA settings say which of these pause the clocks."""

    NOBODY = "", _("Nobody (we are working on it)")
    CUSTOMER = "customer", _("Waiting for the customer")
    THIRD_PARTY = "third_party", _("Waiting for a third party")


class CaseQuerySet(models.QuerySet["Case"]):
    def update(self, **kwargs: Any) -> int:
        if "stage" in kwargs and not _engine_moving.get():
            raise StageChangeOutsideEngine("a case's stage changes only through cases.workflow")
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        if "stage" in fields and not _engine_moving.get():
            raise StageChangeOutsideEngine("a case's stage changes only through cases.workflow")
        return super().bulk_update(objs, fields, *args, **kwargs)


class Case(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer"))
    subject = models.CharField(_("subject"), max_length=200)
    origin_channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("product"))
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("branch"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("department"))
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team"))
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, null=True, blank=True)
    safety = models.BooleanField(_("personal safety"), default=False)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.INTAKE, editable=False)
    waiting_on = models.CharField(_("waiting on"), max_length=20, choices=WaitingOn.choices, blank=True, default="")
    close_reason = models.CharField(_("close reason"), max_length=20, choices=CloseReason.choices, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_cases", verbose_name=_("assignee"))
    policy = models.ForeignKey("cases.PolicyVersion", on_delete=models.PROTECT, related_name="cases", editable=False, verbose_name=_("policy version"))

    opened_at = models.DateTimeField(_("opened"))
    stage_entered_at = models.DateTimeField(_("in stage since"))
    investigation_at = models.DateTimeField(_("investigation started"), null=True, blank=True)
    response_at = models.DateTimeField(_("response started"), null=True, blank=True)
    qa_at = models.DateTimeField(_("QA started"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)

    findings = models.TextField(_("findings"), blank=True)
    root_cause = models.ForeignKey(RootCause, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("root cause"))
    resolution_code = models.CharField(_("resolution"), max_length=30, choices=ResolutionCode.choices, blank=True)
    compensation_amount = models.DecimalField(_("compensation"), max_digits=12, decimal_places=2, null=True, blank=True)
    compensation_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("compensation approved by"))
    compensation_approved_at = models.DateTimeField(_("compensation approved"), null=True, blank=True)
    reopen_count = models.PositiveIntegerField(_("reopened"), default=0)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    # The few words that say what the customer complains about, in their script, refreshed
    # with the search index (cases.indexing); for the case page and trend analysis.
    keywords = models.JSONField(_("keywords"), default=list, db_default=[], blank=True, editable=False)

    objects = CaseQuerySet.as_manager()
    _loaded_stage: str | None

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "-opened_at"]),
            models.Index(fields=["department", "stage", "-opened_at"]),
            models.Index(fields=["assignee", "-opened_at"]),
            models.Index(fields=["severity", "-opened_at"]),
            models.Index(fields=["branch", "-opened_at"]),
            models.Index(fields=["origin_channel", "-opened_at"]),
            models.Index(fields=["category", "-opened_at"]),
            # The live backlog (open cases by age) reads only the open cases, a small share.
            models.Index(fields=["opened_at"], condition=~models.Q(stage="closed"), name="case_open_opened"),
            models.Index(fields=["-opened_at"]),
            # The insights rollup: its sweep reads what changed, and each day's facts read
            # the cases first answered and closed that day.
            models.Index(fields=["updated_at"], name="case_updated_at"),
            models.Index(fields=["first_response_at"], name="case_first_response_at"),
            models.Index(fields=["closed_at"], name="case_closed_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__isnull=True) | models.Q(severity__gte=1, severity__lte=4),
                name="case_severity_s1_to_s4",
            ),
            models.CheckConstraint(
                condition=~models.Q(safety=True) | models.Q(severity=1),
                name="case_safety_is_s1",
            ),
        ]
        permissions = [
            ("view_all_cases", "Can see cases of every department"),
            ("qa_review", "Can sign the QA checklist"),
            ("approve_compensation", "Can approve compensation"),
            ("override_guards", "Can force a transition past failed guards (break-glass)"),
            ("close_as_spam", "Can close a case as spam"),
            ("manage_policy", "Can load service policy versions"),
            ("approve_safety_downgrade", "Can remove the personal-safety flag or lower S1 (with a reason)"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded_stage", None)
        moving = _engine_moving.get()
        if self._state.adding:
            if self.stage != Stage.INTAKE and not moving:
                raise StageChangeOutsideEngine("a new case starts at intake")
        elif "stage" in self.__dict__ and self.stage != loaded and not moving:
            raise StageChangeOutsideEngine("a case's stage changes only through cases.workflow")
        super().save(*args, **kwargs)
        self._loaded_stage = self.stage

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, *, fetch_mode: Any = None) -> Case:
        instance = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        instance._loaded_stage = instance.__dict__.get("stage")
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._loaded_stage = self.__dict__.get("stage")

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED


class CaseNumberSequence(models.Model):
    """One row per year; the next case number is taken under a row lock."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", _("Duplicate of")
    RELATED = "related", _("Related to")
    RECURRENCE_OF = "recurrence_of", _("Recurrence of")


class CaseLink(models.Model):
    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links_out")
    to_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="links_in")
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_case", "to_case", "kind"], name="caselink_unique"),
            models.CheckConstraint(condition=~models.Q(from_case=models.F("to_case")), name="caselink_not_self"),
        ]
        verbose_name = _("case link")
        verbose_name_plural = _("case links")

    def __str__(self) -> str:
        return f"{self.from_case_id} {self.kind} {self.to_case_id}"
