"""The schedule editor's form and the preview's and archive's GET parameters.

Forms only parse what was typed; ``services.save_schedule`` decides what is allowed (a
recipient, an existing branch, no duplicate) and says why not.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import Cadence, Schedule, ScopeKind


class ScheduleForm(forms.Form):
    recipient_user = forms.CharField(label=_("Send to a person"), required=False, widget=forms.Select)
    recipient_email = forms.CharField(
        label=_("…or to an email address"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Language"), required=False, help_text=_("Empty: the person's own language."),
    )
    cadence = forms.ChoiceField(label=_("How often"), choices=Cadence.choices, initial=Cadence.WEEKLY)
    scope = forms.ChoiceField(label=_("For"), choices=ScopeKind.choices, initial=ScopeKind.ALL)
    branch = forms.CharField(label=_("Branch"), required=False, widget=forms.Select)
    department = forms.CharField(label=_("Department"), required=False, widget=forms.Select)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.Select, self.fields["recipient_user"].widget).choices = [
            ("", "—"), *((u.pk, f"{u.get_full_name() or u.get_username()} ({u.get_username()})")
                         for u in selectors.recipients()),
        ]
        cast(forms.ChoiceField, self.fields["language"]).choices = [("", "—"), *settings.LANGUAGES]
        cast(forms.Select, self.fields["branch"].widget).choices = [
            ("", "—"), *((b.pk, b.label) for b in selectors.branches()),
        ]
        cast(forms.Select, self.fields["department"].widget).choices = [
            ("", "—"), *((d.pk, d.label) for d in selectors.departments()),
        ]

    @classmethod
    def for_schedule(cls, schedule: Schedule) -> ScheduleForm:
        return cls(initial={
            "recipient_user": schedule.recipient_user_id or "", "recipient_email": schedule.recipient_email,
            "language": schedule.language, "cadence": schedule.cadence, "scope": schedule.scope,
            "branch": schedule.branch_id or "", "department": schedule.department_id or "",
        })

    def clean_recipient_user(self) -> Any:
        value = (self.cleaned_data.get("recipient_user") or "").strip()
        if not value:
            return None
        user = get_user_model().objects.filter(pk=value).first() if value.isdigit() else None
        if user is None:
            raise forms.ValidationError(_("There is no such person."))
        return user

    def values(self) -> dict[str, Any]:
        """Keyword arguments of ``services.save_schedule``."""
        data = self.cleaned_data
        return {
            "recipient_user": data.get("recipient_user"), "recipient_email": data.get("recipient_email", ""),
            "language": data.get("language", ""), "cadence": data["cadence"], "scope": data["scope"],
            "branch": (data.get("branch") or "").strip() or None,
            "department": (data.get("department") or "").strip() or None,
        }


class ArchiveFilterForm(forms.Form):
    """The archive's GET filters; a value not understood is ignored, never a 500."""

    cadence = forms.ChoiceField(label=_("Cadence"), required=False)
    scope = forms.ChoiceField(label=_("Scope"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["cadence"]).choices = [("", _("All")), *Cadence.choices]
        cast(forms.ChoiceField, self.fields["scope"]).choices = [("", _("All")), *selectors.scope_choices()]

    def value(self, name: str) -> str:
        self.is_valid()
        return str(self.cleaned_data.get(name) or "")


class PreviewForm(forms.Form):
    cadence = forms.ChoiceField(label=_("Cadence"), choices=Cadence.choices, initial=Cadence.WEEKLY)
    period_start = forms.DateField(
        label=_("Period containing"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: the last finished week or month."),
    )
    scope = forms.ChoiceField(label=_("For"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scope"]).choices = selectors.scope_choices()
        cast(forms.ChoiceField, self.fields["language"]).choices = [("", "—"), *settings.LANGUAGES]

    def day(self) -> date | None:
        return self.cleaned_data.get("period_start")
