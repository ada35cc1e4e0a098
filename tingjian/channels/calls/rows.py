"""One row of a call log → the payload to store, or every problem with it.

A row is checked whole: each problem is kept as a message id and its values (marked for
translation, shown in the reader's language by ``describe``), so a bad row lists all its
reasons at once. Branch, category and product codes are looked up once per file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian.customers.handles import normalise_email, normalise_phone
from tingjian.org import selectors as org

from ..adapters.calllog import parse_call_time, parse_direction, parse_duration, read_call_time
from .reading import cell_text, short_text

MAX_CALL_ID = 200
# A call time further ahead than this is a typo, not a call.
FUTURE_SLACK = timedelta(hours=1)


@dataclass
class Lookups:
    """Branch, category and product codes (and names), read once per file."""

    branches: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    products: dict[str, str] = field(default_factory=dict)


def _keys(obj: Any) -> list[str]:
    return [k.casefold() for k in (obj.code, obj.name_zh_hant, obj.name_zh_hans, obj.name_en) if k]


def read_lookups() -> Lookups:
    found = Lookups()
    for branch in org.active_branches():
        found.branches.update({k: branch.code for k in _keys(branch)})
    for product in org.active_products():
        found.products.update({k: product.code for k in _keys(product)})
    for category in org.leaf_categories():
        found.categories.update({k: category.code for k in _keys(category)})
        if category.parent is not None:
            found.groups.update(_keys(category.parent))
    return found


@dataclass
class CheckedRow:
    payload: dict[str, Any] | None
    problems: list[tuple[str, dict[str, Any]]]


PHONE_CHARACTERS = re.compile(r"^[\d\s+\-().#*,/]*(?:(?:ext\.?|x|分機|分机|轉|转)\s*\d+)?$", re.IGNORECASE)


def check_row(values: Mapping[str, Any], lookups: Lookups, *, now: Any) -> CheckedRow:
    """One row's values (our field → the cell) → the payload to store, or every problem."""
    problems: list[tuple[str, dict[str, Any]]] = []
    text = {k: cell_text(v) for k, v in values.items()}
    payload: dict[str, Any] = {}

    call_id = text.get("call_id", "")
    if not call_id:
        problems.append((gettext_noop("Call ID is missing."), {}))
    elif len(call_id) > MAX_CALL_ID:
        problems.append((gettext_noop("Call ID is longer than %(max)s characters."), {"max": MAX_CALL_ID}))
    payload["call_id"] = call_id

    raw_time = values.get("called_at")
    if not text.get("called_at"):
        problems.append((gettext_noop("Call time is missing."), {}))
    else:
        try:
            moment = read_call_time(raw_time)
        except ValueError:
            problems.append((gettext_noop("Call time “%(value)s” cannot be read; write it like 2026-11-20 14:05."), {"value": short_text(raw_time)}))
        else:
            if parse_call_time(moment) > now + FUTURE_SLACK:
                problems.append((gettext_noop("Call time %(value)s is in the future."), {"value": short_text(raw_time)}))
            payload["called_at"] = moment.isoformat()

    phone = text.get("phone", "")
    if not phone:
        problems.append((gettext_noop("Phone number is missing."), {}))
    else:
        try:
            if not PHONE_CHARACTERS.match(unicodedata.normalize("NFKC", phone)):
                raise ValidationError("letters")
            payload["phone"] = normalise_phone(unicodedata.normalize("NFKC", phone))
        except ValidationError:
            problems.append((gettext_noop("Phone number “%(value)s” is not a valid phone number."), {"value": short_text(phone)}))

    summary = cell_text(values.get("summary")).replace("\r\n", "\n").replace("\r", "\n")
    if not summary:
        problems.append((gettext_noop("Summary is empty."), {}))
    payload["summary"] = summary

    payload["customer_name"] = short_text(text.get("customer_name", ""), 200)
    payload["agent"] = short_text(text.get("agent", ""), 100)
    email = text.get("email", "")
    if email:
        try:
            payload["email"] = normalise_email(email)
        except ValidationError:
            problems.append((gettext_noop("Email “%(value)s” is not a valid address."), {"value": short_text(email)}))
    try:
        payload["duration"] = parse_duration(values.get("duration"))
    except ValueError:
        problems.append((gettext_noop("Duration “%(value)s” cannot be read; write seconds or minutes:seconds."), {"value": short_text(values.get("duration"))}))
    try:
        payload["direction"] = parse_direction(values.get("direction"))
    except ValueError:
        problems.append((gettext_noop("Direction “%(value)s” is neither incoming nor outgoing."), {"value": short_text(values.get("direction"))}))

    for key, table, message in (
        ("branch", lookups.branches, gettext_noop("Unknown branch code “%(value)s”.")),
        ("category", lookups.categories, gettext_noop("Unknown category code “%(value)s”.")),
        ("product", lookups.products, gettext_noop("Unknown product code “%(value)s”.")),
    ):
        code = text.get(key, "")
        if not code:
            continue
        if code.casefold() in table:
            payload[key] = table[code.casefold()]
        elif key == "category" and code.casefold() in lookups.groups:
            problems.append((gettext_noop("“%(value)s” is a group of categories; use one of its categories."), {"value": short_text(code)}))
        else:
            problems.append((message, {"value": short_text(code)}))
    return CheckedRow(None if problems else payload, problems)


def bad_row(row: int, call_id: str, problems: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    # The English text is kept for the console and the record; the message ids and their
    # values let the page show it in the reader's language.
    return {
        "row": row, "call_id": call_id[:MAX_CALL_ID],
        "reason": " ".join(msg % params for msg, params in problems),
        "problems": [{"msg": msg, "params": params} for msg, params in problems],
    }


def describe(item: Mapping[str, Any]) -> str:
    """A stored bad row's reason in the active language."""
    problems = item.get("problems") or []
    if not problems:
        return str(item.get("reason", ""))
    return " ".join(_(p["msg"]) % p.get("params", {}) for p in problems)
