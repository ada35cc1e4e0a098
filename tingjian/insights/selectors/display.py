"""How KPI values read to people ("42 min", "93.1 %", "—") and the drill-down link."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

EMPTY = "—"


def _number(value: float, decimals: int) -> str:
    # number_format cuts digits off; people expect 66.67 to read 66.7.
    return number_format(round(value, decimals), decimals, force_grouping=True)


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return EMPTY
    if unit == "count":
        return _number(value, 0)
    if unit == "percent":
        return _("%(value)s %%") % {"value": _number(value, 1)}
    if unit == "seconds":
        return format_duration(value)
    if unit == "per10k":
        return _number(value, 2)
    return _number(value, 0 if abs(value) >= 10 else 1)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return _("%(n)s s") % {"n": _number(seconds, 0)}
    if seconds < 3600:
        return _("%(n)s min") % {"n": _number(seconds / 60, 0)}
    if seconds < 86400:
        return _("%(n)s h") % {"n": _number(seconds / 3600, 1)}
    return _("%(n)s d") % {"n": _number(seconds / 86400, 1)}


def format_change(change: float | None) -> str:
    """+23 % / −5 % / —"""
    if change is None:
        return EMPTY
    pct = change * 100
    sign = "+" if pct > 0 else ("−" if pct < 0 else "±")
    return f"{sign}{_number(abs(pct), 0)} %"


def relative_change(value: float | None, before: float | None) -> float | None:
    if value is None or before is None or before == 0:
        return None
    return (value - before) / abs(before)


def drill_url(params: Mapping[str, str]) -> str:
    return reverse("web:insights-cases") + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})
