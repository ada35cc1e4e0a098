"""Handles (phone numbers, email addresses) as people type them, made comparable.

A phone is stored in E.164 (+886912345678) whatever way it was written (0912-345-678,
+886 912 345 678, 886912345678), using Google's libphonenumber rules through the
``phonenumbers`` package; numbers without a country code are read as
``TINGJIAN_PHONE_REGION`` first (Taiwan by default), then as mainland Chinese, so a bare
13812345678 is still recognised. An email address is case-folded.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_REGIONS_FALLBACK = ("TW", "CN")


def _regions() -> list[str]:
    first = str(getattr(settings, "TINGJIAN_PHONE_REGION", "TW") or "TW").upper()
    return [first] + [r for r in _REGIONS_FALLBACK if r != first]


def normalise_phone(raw: str) -> str:
    text = (raw or "").strip()
    digits = re.sub(r"[^\d+]", "", text)
    if len(re.sub(r"\D", "", digits)) < 6:
        raise ValidationError(_("A phone number needs at least six digits."))
    attempts = [text]
    if not digits.startswith("+") and digits.startswith(("886", "86", "852", "853")):
        attempts.append("+" + digits)  # an international number typed without its plus
    for candidate in attempts:
        for region in _regions():
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    # Not a number any rule knows (an extension, a short code): compared by its digits.
    return digits


def normalise_email(raw: str) -> str:
    value = (raw or "").strip().lower()
    validate_email(value)
    return value


def phones_in_text(text: str, *, limit: int = 5) -> list[str]:
    """Valid phone numbers mentioned in free text, normalised, in order of appearance."""
    found: list[str] = []
    for region in _regions():
        for match in phonenumbers.PhoneNumberMatcher(text or "", region, leniency=phonenumbers.Leniency.VALID):
            value = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            if value not in found:
                found.append(value)
            if len(found) >= limit:
                return found
    return found


def emails_in_text(text: str, *, limit: int = 5) -> list[str]:
    found: list[str] = []
    for raw in _EMAIL_IN_TEXT.findall(text or ""):
        try:
            value = normalise_email(raw.rstrip("."))
        except ValidationError:
            continue
        if value not in found:
            found.append(value)
        if len(found) >= limit:
            break
    return found
