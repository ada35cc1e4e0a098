"""Forms of the SLA pages: the boards' filters and the administrators' editors.

They parse what was typed; ``sla.targets`` and ``sla.calendars`` decide what is allowed
(a zero target, a duplicate, overlapping hours, a date outside the year) and say why.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tingjian.cases.models import ChannelKind, Severity, Stage
from tingjian.cases.models.case import WaitingOn
from tingjian.org import selectors as org
from tingjian.sla.models import ClockKind, DayKind, OpeningHours, SlaSettings, Target, Weekday

from .choices import category_choices, labelled_choices
from .forms import BLANK, ChoicesForm

CLOCK_STAGES = [(stage.value, stage.label) for stage in Stage if stage != Stage.CLOSED]


class AtRiskFilterForm(ChoicesForm):
    """The at-risk board's filters; a value that does not parse is reported and ignored."""

    kind = forms.ChoiceField(label=_("Clock"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    mine = forms.BooleanField(label=_("Only my cases"), required=False)
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("kind", BLANK + list(ClockKind.choices))
        self._set_choices("department", BLANK + labelled_choices(org.active_departments(), key="code"))
        self._set_choices("severity", BLANK + [(v, f"S{v}") for v in Severity.values])

    def valid_values(self) -> dict[str, Any]:
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}


class TargetForm(ChoicesForm):
    """One SLA target; the length is typed as hours and minutes."""

    kind = forms.ChoiceField(label=_("Clock"))
    stage = forms.ChoiceField(label=_("Stage (time in stage)"), required=False)
    severity = forms.TypedChoiceField(label=_("Severity"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    hours = forms.IntegerField(label=_("Hours"), required=False, min_value=0, initial=0)
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, initial=0)
    business_hours = forms.BooleanField(
        label=_("Count business hours only"), required=False,
        help_text=_("Otherwise the clock runs around the clock (24/7)."),
    )

    def __init__(self, *args: Any, target: Target | None = None, **kwargs: Any) -> None:
        if target is not None:
            hours, minutes = divmod(target.minutes, 60)
            kwargs["initial"] = {
                "kind": target.kind, "stage": target.stage, "severity": target.severity,
                "channel": target.channel, "category": target.category_id, "hours": hours,
                "minutes": minutes, "business_hours": target.business_hours,
            }
        super().__init__(*args, **kwargs)
        self._set_choices("kind", list(ClockKind.choices))
        self._set_choices("stage", BLANK + CLOCK_STAGES)
        self._set_choices("severity", [("", _("Any"))] + list(Severity.choices))
        self._set_choices("channel", [("", _("Any"))] + list(ChannelKind.choices))
        self._set_choices("category", [("", _("Any"))] + category_choices(key="pk"))
        for name in ("hours", "minutes"):
            self.fields[name].widget.attrs["min"] = "0"

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"], "stage": data["stage"], "severity": data["severity"],
            "channel": data["channel"], "category": data["category"],
            "minutes": (data["hours"] or 0) * 60 + (data["minutes"] or 0),
            "business_hours": data["business_hours"],
        }


class SettingsForm(ChoicesForm):
    reminder_percent = forms.IntegerField(
        # xgettext:no-python-format
        label=_("Remind at (% of the target)"),
        help_text=_("The handler is reminded when this share of the target is used; the badge turns amber."),
    )
    pause_on = forms.MultipleChoiceField(
        label=_("Pause the resolution and time-in-stage clocks while the case waits on"),
        required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(value, label) for value, label in WaitingOn.choices if value],
    )
    safety_department = forms.TypedChoiceField(
        label=_("Safety department (品保/食安)"), required=False, coerce=int, empty_value=None,
        help_text=_("Its heads are told of every personal-safety case at once."),
    )
    safety_first_response_minutes = forms.IntegerField(label=_("Personal safety: first response within (minutes)"))
    team_lead_after_minutes = forms.IntegerField(label=_("Team lead told after the breach (minutes)"))
    department_head_after_minutes = forms.IntegerField(label=_("Department head told after the team lead (minutes)"))
    executive_after_minutes = forms.IntegerField(label=_("Executives told after the department head (minutes)"))

    FIELDS = (
        "reminder_percent", "pause_on", "safety_department", "safety_first_response_minutes",
        "team_lead_after_minutes", "department_head_after_minutes", "executive_after_minutes",
    )

    def __init__(self, *args: Any, row: SlaSettings, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "reminder_percent": row.reminder_percent, "pause_on": list(row.pause_on or []),
            "safety_department": row.safety_department_id,
            "safety_first_response_minutes": row.safety_first_response_minutes,
            "team_lead_after_minutes": row.team_lead_after_minutes,
            "department_head_after_minutes": row.department_head_after_minutes,
            "executive_after_minutes": row.executive_after_minutes,
        }
        super().__init__(*args, **kwargs)
        self._set_choices("safety_department", BLANK + labelled_choices(org.active_departments()))
        for name in self.FIELDS:
            if isinstance(self.fields[name], forms.IntegerField):
                self.fields[name].widget.attrs["min"] = "1"

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class CalendarForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Letters, digits and hyphens, e.g. tw-stores."))
    name = forms.CharField(label=_("Name"), max_length=120)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Taipei")
    is_default = forms.BooleanField(
        label=_("Default calendar"), required=False,
        help_text=_("Used by every branch without a calendar of its own."),
    )


def _time_input() -> forms.TimeInput:
    return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class HoursForm(forms.Form):
    """The week's opening hours: a few open intervals per weekday (09:00–12:00, 13:00–18:00)."""

    MIN_SLOTS = 3

    def __init__(self, *args: Any, hours: list[OpeningHours], **kwargs: Any) -> None:
        per_day: dict[int, list[OpeningHours]] = {}
        for row in hours:
            per_day.setdefault(row.weekday, []).append(row)
        self.slots = max([self.MIN_SLOTS, *(len(rows) for rows in per_day.values())])
        initial: dict[str, Any] = {}
        for weekday, rows in per_day.items():
            for slot, row in enumerate(rows):
                initial[f"d{weekday}_{slot}_opens"] = row.opens
                initial[f"d{weekday}_{slot}_closes"] = row.closes
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for weekday in Weekday:
            for slot in range(self.slots):
                for end in ("opens", "closes"):
                    self.fields[f"d{weekday.value}_{slot}_{end}"] = forms.TimeField(
                        label=f"{weekday.label} {slot + 1} {end}", required=False, widget=_time_input(),
                    )

    def days(self) -> list[tuple[str, list[tuple[Any, Any]]]]:
        """Per weekday, its slots as (opens, closes) bound fields, for the template's grid."""
        return [
            (
                str(weekday.label),
                [
                    (self[f"d{weekday.value}_{slot}_opens"], self[f"d{weekday.value}_{slot}_closes"])
                    for slot in range(self.slots)
                ],
            )
            for weekday in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for weekday in Weekday:
            for slot in range(self.slots):
                opens = data.get(f"d{weekday.value}_{slot}_opens")
                closes = data.get(f"d{weekday.value}_{slot}_closes")
                if (opens is None) != (closes is None):
                    missing = f"d{weekday.value}_{slot}_{'closes' if closes is None else 'opens'}"
                    if missing not in self.errors:
                        self.add_error(None, _("%(day)s: give both the opening and the closing time.") % {"day": weekday.label})
        return data

    def intervals(self) -> list[tuple[int, time, time]]:
        out = []
        for weekday in Weekday:
            for slot in range(self.slots):
                opens = self.cleaned_data.get(f"d{weekday.value}_{slot}_opens")
                closes = self.cleaned_data.get(f"d{weekday.value}_{slot}_closes")
                if opens is not None and closes is not None:
                    out.append((weekday.value, opens, closes))
        return out


class HolidayForm(forms.Form):
    """One date added to a year's list."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DayKind.choices, initial=DayKind.CLOSED)
    hours_of = forms.TypedChoiceField(
        label=_("Open with the hours of"), coerce=int, choices=Weekday.choices, initial=Weekday.FRIDAY,
        help_text=_("Make-up workdays only."),
    )

    def entry(self) -> tuple[Any, str, str, int]:
        data = self.cleaned_data
        return (data["date"], data["name"], data["kind"], data["hours_of"])


class HolidayImportForm(forms.Form):
    text = forms.CharField(
        label=_("Paste CSV"), required=False, widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=_("date,name[,kind][,hours_of] per line; kind is closed (the default) or workday (補班)."),
    )
    upload = forms.FileField(label=_("or upload a CSV file"), required=False)

    MAX_BYTES = 200_000

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError(_("The file is too large for a holiday list."))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("Save the file as UTF-8 CSV and try again.")) from exc
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Paste the list or choose a file."))
        return data


class BranchForm(ChoicesForm):
    branch = forms.TypedChoiceField(label=_("Branch"), coerce=int)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_choices("branch", BLANK + labelled_choices(org.active_branches()))

    def chosen_branch(self) -> Any:
        return org.active_branches().get(pk=self.cleaned_data["branch"])
