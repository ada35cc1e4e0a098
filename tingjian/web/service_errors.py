"""Turning service errors into something a person can read in a form or a message."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def add_to_form(form: forms.Form, exc: ValidationError, field_map: dict[str, str] | None = None) -> None:
    """Each error beside its field when the form has one, otherwise at the top of the form."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            name = field_map.get(key, key)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def as_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)
