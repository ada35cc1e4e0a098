"""What every diagnostic shares: the cases of a slice, a case as a table shows it, links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse

from tingjian.cases.models import Case
from tingjian.cases.permissions import visible_cases

from ..selectors import Slice
from ..selectors.backlog import filtered_cases
from ..selectors.display import drill_url

CASE_FIELDS = (
    "customer", "category", "category__parent", "branch", "department", "root_cause", "assignee",
)


def cases_opened(slice: Slice, *, user: Any) -> QuerySet[Case]:
    """The cases the user may see, opened in the slice's period, of its branch, department
    and channel (the (branch | department | channel, opened_at) indexes bound the scan)."""
    start, end = slice.bounds()
    return filtered_cases(slice, visible_cases(user)).filter(opened_at__gte=start, opened_at__lt=end)


@dataclass(frozen=True)
class CaseRef:
    """A case as a diagnostic's row lists it."""

    pk: int
    number: str
    subject: str
    opened_at: datetime
    closed_at: datetime | None
    stage: str
    close_reason: str
    branch: str
    category: str
    root_cause: str

    @property
    def url(self) -> str:
        return reverse("web:case-detail", args=[self.number])

    @classmethod
    def of(cls, case: Case) -> CaseRef:
        return cls(
            pk=case.pk, number=case.number, subject=case.subject, opened_at=case.opened_at,
            closed_at=case.closed_at, stage=case.stage, close_reason=case.close_reason,
            branch=case.branch.label if case.branch_id and case.branch else "",
            category=case.category.full_label if case.category_id and case.category else "",
            root_cause=case.root_cause.label if case.root_cause_id and case.root_cause else "",
        )


def cases_link(slice: Slice, **params: Any) -> str:
    """The insights drill-down page (``drill_cases``) for the slice narrowed by ``params``."""
    query: dict[str, str] = {"what": "opened", **slice.query()}
    query.update({key: str(value) for key, value in params.items() if value not in (None, "")})
    return drill_url(query)


def evidence_link(kind: str, slice: Slice, **params: Any) -> str:
    """This package's own list of the cases behind a number no simple filter describes."""
    query: dict[str, str] = {"kind": kind, **slice.query()}
    query.update({key: str(value) for key, value in params.items() if value not in (None, "")})
    return reverse("web:diagnostics-cases") + "?" + urlencode(query)


def int_param(params: Mapping[str, Any], key: str, *, default: int, low: int, high: int) -> int:
    """A bounded whole-number parameter; ValueError with a message for people otherwise."""
    from django.utils.translation import gettext as _

    raw = str(params.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(_("“%(value)s” is not valid here: choose a whole number from %(low)s to %(high)s.") % {"value": raw[:20], "low": low, "high": high})
    return value


def float_param(params: Mapping[str, Any], key: str, *, default: float, low: float, high: float) -> float:
    from django.utils.translation import gettext as _

    raw = str(params.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(_("“%(value)s” is not valid here: choose a number from %(low)s to %(high)s.") % {"value": raw[:20], "low": low, "high": high})
    return value
