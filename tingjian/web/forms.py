"""Forms of the agent UI: they parse and validate input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from tingjian.cases.models import ChannelKind, ResolutionCode, Severity, Stage
from tingjian.cases.models.case import WaitingOn
from tingjian.customers.models import Customer
from tingjian.org import selectors as org

from .choices import assignee_choices, category_choices, labelled_choices

BLANK = [("", "—")]


class ChoicesForm(forms.Form):
    def _set_choices(self, name: str, choices: list[Any]) -> None:
        cast(forms.ChoiceField, self.fields[name]).choices = choices


class CaseFilterForm(ChoicesForm):
    """The case list's GET filters. Invalid values are reported and ignored, never a 500."""

    scope = forms.ChoiceField(label=_("Scope"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    department = forms.ChoiceField(label=_("Department"), required=False)
    branch = forms.ChoiceField(label=_("Branch"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.may_see_all = user.has_perm("cases.view_all_cases")
        scopes: list[tuple[str, Any]] = [("mine", _("My cases")), ("departments", _("My departments"))]
        if self.may_see_all:
            scopes.append(("all", _("All")))
        self.scopes = scopes
        self._set_choices("scope", scopes)
        self._set_choices("stage", BLANK + list(Stage.choices))
        self._set_choices("severity", BLANK + [(v, f"S{v}") for v in Severity.values])
        self._set_choices("department", BLANK + labelled_choices(org.active_departments(), key="code"))
        self._set_choices("branch", BLANK + labelled_choices(org.active_branches(), key="code"))
        self._set_choices("channel", BLANK + list(ChannelKind.choices))
        self._set_choices(
            "assignee", BLANK + [("none", _("Unassigned"))] + assignee_choices(key="username")
        )
        self._set_choices("category", BLANK + category_choices(key="code", with_groups=True))

    @property
    def scope_choices(self) -> list[tuple[str, Any]]:
        return list(self.scopes)

    @property
    def default_scope(self) -> str:
        return "all" if self.may_see_all else "departments"

    def valid_values(self) -> dict[str, Any]:
        """The values that passed validation; a bad value is dropped (and shown as an error)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class NewCaseForm(ChoicesForm):
    """An agent typing in a complaint: an existing customer or a new one, and what they said."""

    customer = forms.ModelChoiceField(
        label=_("Existing customer"), queryset=Customer.objects.all(), required=False,
        widget=forms.RadioSelect,
    )
    customer_q = forms.CharField(label=_("Find a customer by name or phone"), required=False, max_length=100)
    new_customer_name = forms.CharField(label=_("New customer: name"), required=False, max_length=200)
    new_customer_phone = forms.CharField(label=_("Phone"), required=False, max_length=50)
    new_customer_email = forms.EmailField(label=_("Email"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=ChannelKind.choices, initial=ChannelKind.PHONE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int, empty_value=None)
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    safety = forms.BooleanField(label=_("Personal safety is at stake (makes it S1)"), required=False)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)

    CASE_FIELDS = ("category", "product", "branch", "department", "severity", "safety", "assignee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("category", BLANK + category_choices(key="pk"))
        self._set_choices("product", BLANK + labelled_choices(org.active_products()))
        self._set_choices("branch", BLANK + labelled_choices(org.active_branches()))
        self._set_choices("department", BLANK + labelled_choices(org.active_departments()))
        self._set_choices("severity", BLANK + list(Severity.choices))
        self._set_choices("assignee", BLANK + assignee_choices(key="pk"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_new = bool(data.get("new_customer_name"))
        if data.get("customer") and has_new:
            raise forms.ValidationError(_("Pick an existing customer or enter a new one, not both."))
        if not data.get("customer") and not has_new:
            self.add_error("customer", _("Pick an existing customer, or enter a new customer's name below."))
        if has_new and not (data.get("new_customer_phone") or data.get("new_customer_email")):
            self.add_error("new_customer_phone", _("Give the new customer's phone or email."))
        return data

    def identities(self) -> list[tuple[str, str]]:
        out = []
        if self.cleaned_data.get("new_customer_phone"):
            out.append(("phone", self.cleaned_data["new_customer_phone"]))
        if self.cleaned_data.get("new_customer_email"):
            out.append(("email", self.cleaned_data["new_customer_email"]))
        return out

    def case_fields(self) -> dict[str, Any]:
        return {
            k: self.cleaned_data[k] for k in self.CASE_FIELDS
            if self.cleaned_data.get(k) not in (None, "", False)
        }


class CaseEditForm(ChoicesForm):
    """The case's editable fields; only the changed ones go to ``update_case``."""

    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    product = forms.TypedChoiceField(label=_("Product"), required=False, coerce=int, empty_value=None)
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    safety = forms.BooleanField(label=_("Personal safety"), required=False)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    findings = forms.CharField(label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    root_cause = forms.TypedChoiceField(label=_("Root cause"), required=False, coerce=int, empty_value=None)
    resolution_code = forms.ChoiceField(label=_("Resolution"), required=False)
    compensation_amount = forms.DecimalField(
        label=_("Compensation amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )

    # Removing the safety flag or lowering S1 needs a written reason (managers only; the
    # field is added for them on such a case and shown once the change is made).
    REASON = "reason"

    def __init__(self, *args: Any, case: Any, asks_reason: bool = False, **kwargs: Any) -> None:
        initial = {
            "category": case.category_id, "product": case.product_id, "branch": case.branch_id,
            "department": case.department_id, "severity": case.severity, "safety": case.safety,
            "assignee": case.assignee_id, "findings": case.findings, "root_cause": case.root_cause_id,
            "resolution_code": case.resolution_code, "compensation_amount": case.compensation_amount,
        }
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self._set_choices("category", BLANK + category_choices(key="pk"))
        self._set_choices("product", BLANK + labelled_choices(org.active_products()))
        self._set_choices("branch", BLANK + labelled_choices(org.active_branches()))
        self._set_choices("department", BLANK + labelled_choices(org.active_departments()))
        self._set_choices("severity", BLANK + list(Severity.choices))
        self._set_choices("assignee", BLANK + assignee_choices(key="pk"))
        self._set_choices("root_cause", BLANK + labelled_choices(org.active_root_causes()))
        self._set_choices("resolution_code", BLANK + list(ResolutionCode.choices))
        self.reason_on_unflag = bool(case.safety)
        self.reason_on_lower = case.severity == Severity.S1
        if asks_reason:
            self.fields[self.REASON] = forms.CharField(
                label=_("Why is this not a personal-safety case? (required to remove the flag or lower S1)"),
                required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
            )

    def changed_fields(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in self.changed_data if k != self.REASON}

    @property
    def reason(self) -> str:
        return str(self.cleaned_data.get(self.REASON) or "")


class WaitingForm(forms.Form):
    """Who the case waits on; waiting may pause its resolution and stage clocks."""

    waiting_on = forms.ChoiceField(label=_("Waiting on"), choices=WaitingOn.choices, required=False)


class SafetyDowngradeRequestForm(forms.Form):
    """An agent asking the managers to remove the personal-safety flag."""

    reason = forms.CharField(
        label=_("Why is this not a personal-safety case?"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReplyForm(forms.Form):
    """Our reply; ``target`` is where it goes (a key from ``channels.outbound.reply_targets``)."""

    target = forms.ChoiceField(label=_("Send on"), required=False)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))
    carries_resolution = forms.BooleanField(label=_("This reply carries the resolution"), required=False)

    def __init__(self, *args: Any, targets: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets or []
        choices = [(t.key, t.label) for t in self.targets]
        cast(forms.ChoiceField, self.fields["target"]).choices = choices or [("record", _("Record only"))]
        usable = next((t for t in self.targets if t.usable), None)
        if usable is not None and not self.is_bound:
            self.fields["target"].initial = usable.key


class CustomerMergeForm(forms.Form):
    why = forms.CharField(
        label=_("Why are they the same person?"), min_length=10, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with the merge; it can be undone later from the customer's page."),
    )


class UndoMergeForm(forms.Form):
    why = forms.CharField(label=_("Why undo it?"), min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note (staff only)"), widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write @username to notify a colleague."),
    )


class TransitionForm(forms.Form):
    """One step out of the current stage; the checklist items arrive as ``check_<id>``."""

    transition = forms.CharField(max_length=64)
    reason = forms.CharField(required=False, max_length=5000)
    duplicate_of = forms.CharField(required=False, max_length=20)
    override = forms.BooleanField(required=False)

    def checklist(self, item_ids: list[str]) -> dict[str, bool]:
        return {item: self.data.get(f"check_{item}") == "on" for item in item_ids}
