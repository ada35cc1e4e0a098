"""Small presentation filters for the agent UI (no business rules)."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# The same shape cases.services uses to find mentions, applied to already-escaped text.
_MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


@register.filter
def mentions(body: str) -> SafeString:
    """Escape the note, then wrap each @username in a highlight."""
    escaped = str(escape(body))
    return mark_safe(  # noqa: S308 - every piece is escaped above or by format_html
        _MENTION.sub(lambda m: str(format_html('<mark class="mention">@{}</mark>', m.group(1))), escaped)
    )


@register.simple_tag
def page_url(query: str, number: int) -> str:
    return f"?{query}&page={number}" if query else f"?page={number}"


@register.simple_tag
def toggle_url(query: str, param: str, value: str) -> str:
    """``query`` with ``param`` set to ``value``, or removed if it already is (a facet link);
    the page number is dropped, since the results change."""
    from django.http import QueryDict

    params = QueryDict(query, mutable=True)
    params.pop("page", None)
    if params.get(param) == str(value):
        params.pop(param)
    else:
        params[param] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def percent(value: float | None) -> str:
    """0.873 → "87%" (a classifier's confidence)."""
    if value is None:
        return "—"
    return f"{round(float(value) * 100)}%"
