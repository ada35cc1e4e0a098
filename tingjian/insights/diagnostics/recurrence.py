"""Why does it recur? Customers who come back, and corrective actions that did not hold.

**The same customer again.** A case opened in the period *repeats* when its customer had
another case opened in the ``days`` before it (default 30, in any branch or channel). The
rate is repeats ÷ cases opened in the period; with 30 days it is the dashboard's repeat rate
(``insights.measures``: same definition). The customers are listed with every case they
opened from ``days`` before the period to its end.

**A corrective action that did not hold.** A case closed with the resolution "corrective
action taken" (``ResolutionCode.CORRECTIVE_ACTION``) says the cause was fixed. When a later
case in the same branch has the same root cause, opened after that case was closed, the fix
did not hold. Each case of the period with a root cause and a branch is matched to the most
recent such action before it (closed at most ``lookback_days`` before the period); each action
is listed with the cases that came after it.

Bounded: the period's cases, their customers' cases in the window, and the actions of the
period's branches and root causes opened in the look-back (the branch index bounds it).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tingjian.cases.models import Case, ResolutionCode, Stage
from tingjian.cases.permissions import visible_cases

from ..measures import REPEAT_WITHIN_DAYS
from ..selectors import Slice
from ..tables import Column, Table
from .common import CASE_FIELDS, CaseRef, cases_link, cases_opened, evidence_link

DEFAULT_DAYS = REPEAT_WITHIN_DAYS
MAX_DAYS = 365
LOOKBACK_DAYS = 365


def _earlier_within(days: int) -> Exists:
    return Exists(Case.objects.filter(
        customer_id=OuterRef("customer_id"), opened_at__lt=OuterRef("opened_at"),
        opened_at__gte=OuterRef("opened_at") - timedelta(days=days),
    ))


@dataclass
class RepeatCustomer:
    customer_id: int
    name: str
    repeats: int  # cases of the period that repeat
    cases: list[CaseRef] = field(default_factory=list)

    @property
    def url(self) -> str:
        return reverse("web:customer-detail", args=[self.customer_id])


@dataclass
class Repeats:
    slice: Slice
    days: int
    cases: int
    repeats: int
    customers_total: int
    customers: list[RepeatCustomer] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.repeats / self.cases if self.cases else None

    @property
    def url(self) -> str:
        """The repeat cases: the insights drill-down when it knows this window, our list otherwise."""
        if self.days == REPEAT_WITHIN_DAYS:
            return cases_link(self.slice, what="repeat")
        return evidence_link("repeat", self.slice, days=self.days)

    def table(self) -> Table:
        table = Table(
            name=f"repeat-customers-{self.slice.start}-{self.slice.end}",
            title=str(_("Customers who came back")),
            columns=[
                Column("customer", _("Customer")), Column("repeats", _("Repeat cases in the period"), "int"),
                Column("cases", _("Cases in the window"), "int"), Column("numbers", _("Case numbers")),
                Column("categories", _("Categories")),
            ],
        )
        for customer in self.customers:
            table.rows.append({
                "customer": customer.name, "repeats": customer.repeats, "cases": len(customer.cases),
                "numbers": " ".join(c.number for c in customer.cases),
                "categories": " / ".join(dict.fromkeys(c.category for c in customer.cases if c.category)),
            })
        return table


def repeat_cases(slice: Slice, *, user: Any, days: int = DEFAULT_DAYS) -> Any:
    """The period's cases whose customer had another case in the ``days`` before."""
    return cases_opened(slice, user=user).filter(_earlier_within(days))


def repeat_customers(slice: Slice, *, user: Any, days: int = DEFAULT_DAYS, limit: int = 50) -> Repeats:
    """The repeat rate of the period and the customers behind it, the most frequent first."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(_("Choose from 1 to %(max)s days.") % {"max": MAX_DAYS})
    period = cases_opened(slice, user=user)
    counts = period.annotate(_repeat=_earlier_within(days)).aggregate(
        cases=Count("pk"), repeats=Count("pk", filter=Q(_repeat=True)),
    )
    by_customer = repeat_cases(slice, user=user, days=days).order_by().values("customer_id").annotate(n=Count("id"))
    top = list(by_customer.order_by("-n", "customer_id")[:limit])
    result = Repeats(
        slice=slice, days=days, cases=counts["cases"], repeats=counts["repeats"],
        customers_total=by_customer.count() if len(top) == limit else len(top),
    )
    if not top:
        return result
    start, end = slice.bounds()
    ids = [row["customer_id"] for row in top]
    window = (
        visible_cases(user).filter(customer_id__in=ids, opened_at__gte=start - timedelta(days=days), opened_at__lt=end)
        .select_related(*CASE_FIELDS).order_by("opened_at", "id")
    )
    cases: dict[int, list[CaseRef]] = defaultdict(list)
    names: dict[int, str] = {}
    for case in window:
        cases[case.customer_id].append(CaseRef.of(case))
        names[case.customer_id] = case.customer.display_name
    for row in top:
        result.customers.append(RepeatCustomer(
            customer_id=row["customer_id"], name=names.get(row["customer_id"], ""), repeats=row["n"],
            cases=cases.get(row["customer_id"], []),
        ))
    return result


# ------------------------------------------------------------------- corrective actions


@dataclass
class FailedAction:
    action: CaseRef
    branch_id: int
    root_cause_id: int
    later: list[CaseRef] = field(default_factory=list)
    url: str = ""  # the cases after it

    @property
    def days_to_first(self) -> float | None:
        if not self.later or self.action.closed_at is None:
            return None
        return (self.later[0].opened_at - self.action.closed_at).total_seconds() / 86400


@dataclass
class FailedActions:
    slice: Slice
    actions_checked: int
    failed: list[FailedAction] = field(default_factory=list)

    def table(self) -> Table:
        table = Table(
            name=f"corrective-actions-not-held-{self.slice.start}-{self.slice.end}",
            title=str(_("Corrective actions that did not hold")),
            columns=[
                Column("action", _("Corrective action case")), Column("closed", _("Closed")),
                Column("branch", _("Branch")), Column("root_cause", _("Root cause")),
                Column("later", _("Cases after it"), "int"), Column("days", _("Days to the first"), "float"),
                Column("numbers", _("Case numbers")),
            ],
        )
        for item in self.failed:
            table.rows.append({
                "action": item.action.number, "closed": item.action.closed_at, "branch": item.action.branch,
                "root_cause": item.action.root_cause, "later": len(item.later),
                "days": round(item.days_to_first, 1) if item.days_to_first is not None else None,
                "numbers": " ".join(c.number for c in item.later),
            })
        return table


def corrective_actions_not_held(
    slice: Slice, *, user: Any, lookback_days: int = LOOKBACK_DAYS, limit: int = 50
) -> FailedActions:
    """Corrective actions followed, in the same branch, by a case with the same root cause
    opened in the period (see the module docstring); the most followed first."""
    start, end = slice.bounds()
    later_cases = list(
        cases_opened(slice, user=user).filter(root_cause__isnull=False, branch__isnull=False)
        .select_related(*CASE_FIELDS).order_by("opened_at", "id")
    )
    if not later_cases:
        return FailedActions(slice=slice, actions_checked=0)
    branches = {c.branch_id for c in later_cases if c.branch_id is not None}
    causes = {c.root_cause_id for c in later_cases if c.root_cause_id is not None}
    actions = list(
        visible_cases(user).filter(
            branch_id__in=branches, root_cause_id__in=causes, resolution_code=ResolutionCode.CORRECTIVE_ACTION,
            stage=Stage.CLOSED, closed_at__isnull=False, closed_at__lt=end,
            opened_at__gte=start - timedelta(days=lookback_days),
        ).select_related(*CASE_FIELDS).order_by("closed_at", "id")
    )
    by_key: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for action in actions:
        by_key[(action.branch_id, action.root_cause_id)].append(action)  # type: ignore[index]
    closed_times = {key: [a.closed_at for a in items if a.closed_at is not None] for key, items in by_key.items()}
    found: dict[int, FailedAction] = {}
    for case in later_cases:
        key = (case.branch_id, case.root_cause_id)
        times = closed_times.get(key)  # type: ignore[arg-type]
        if not times:
            continue
        index = bisect_left(times, case.opened_at) - 1
        if index < 0:
            continue
        action = by_key[key][index]  # type: ignore[index]
        if action.pk == case.pk:
            continue
        item = found.get(action.pk)
        if item is None:
            item = found[action.pk] = FailedAction(
                CaseRef.of(action), action.branch_id or 0, action.root_cause_id or 0,
                url=evidence_link("action", slice, case=action.number),
            )
        item.later.append(CaseRef.of(case))
    failed = sorted(found.values(), key=lambda f: (-len(f.later), -(f.action.closed_at.timestamp() if f.action.closed_at else 0)))
    return FailedActions(slice=slice, actions_checked=len(actions), failed=failed[:limit])
