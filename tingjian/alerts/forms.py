"""The forms of the notification pages: a person's preferences, a new webhook endpoint.

They parse and check the shape of what was typed; whether it holds (a quiet window with a
start and an end that differ, a real time zone, an http(s) URL) is checked again by the
service, whose errors the view puts back beside the fields.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from . import kinds as catalogue
from .models import NotificationPreference, validate_time_zone

EMAIL = "email__"


class PreferencesForm(forms.Form):
    """One email checkbox per kind of the catalogue, then the quiet hours."""

    quiet_start = forms.TimeField(
        label=_("Quiet hours start"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Emails wait until the quiet hours end, except urgent personal-safety alerts. A window may wrap midnight (22:00–07:00)."),
    )
    time_zone = forms.CharField(
        label=_("Time zone"), required=False, max_length=64, validators=[validate_time_zone],
        help_text=_("An IANA name such as Asia/Taipei; empty means the company's."),
    )

    def __init__(self, data: Any = None, *, preference: NotificationPreference) -> None:
        initial: dict[str, Any] = {
            "quiet_start": preference.quiet_start, "quiet_end": preference.quiet_end,
            "time_zone": preference.time_zone,
        }
        for kind in catalogue.CATALOGUE:
            initial[EMAIL + kind.code] = preference.wants_email(kind.code)
        super().__init__(data, initial=initial)
        for kind in catalogue.CATALOGUE:
            self.fields[EMAIL + kind.code] = forms.BooleanField(label=str(kind.label), required=False)

    def email_fields(self) -> list[forms.BoundField]:
        return [self[EMAIL + kind.code] for kind in catalogue.CATALOGUE]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None) or (start is not None and start == end):
            self.add_error("quiet_end", _("A quiet window needs a start and an end that differ."))
        return data

    def email_choices(self) -> dict[str, bool]:
        return {kind.code: bool(self.cleaned_data.get(EMAIL + kind.code)) for kind in catalogue.CATALOGUE}


class WebhookEndpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("For you: “Safety team on Slack”."))
    url = forms.URLField(
        label=_("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where Tingjian posts the events (http or https), e.g. your chat relay's incoming-webhook address."),
    )
    kinds = forms.MultipleChoiceField(
        label=_("Kinds"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every kind."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds_field = self.fields["kinds"]
        assert isinstance(kinds_field, forms.MultipleChoiceField)
        kinds_field.choices = [(kind.code, f"{kind.label} ({kind.code})") for kind in catalogue.CATALOGUE]
