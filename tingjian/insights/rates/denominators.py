"""Writing denominators: the year grid of the page and CSV imports.

Responsible for: checking ``insights.change_denominator``, validating every value before
anything is written (any wrong cell or row rejects the whole change, listing each problem),
writing in one transaction with one audit event that says what changed.

Must never: accept zero, a negative or a fractional count, a month that has not begun, or
save part of a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit
from tingjian.org.models import Branch

from ..models import Basis, Denominator
from . import csvfile, months
from .csvfile import DenominatorsRejected, Problem

CHANGE_PERMISSION = "insights.change_denominator"
# Rows of an import listed in its audit event; beyond that only the count.
AUDITED_ROWS = 500


def ensure_may_change(user: Any) -> None:
    if not user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied(_("You may not change the denominators."))


@dataclass(frozen=True)
class Change:
    branch_id: int
    branch_code: str
    month: date
    value: int | None  # None: remove the denominator
    basis: str


@dataclass(frozen=True)
class Outcome:
    created: int
    replaced: int
    removed: int
    unchanged: int

    @property
    def changed(self) -> int:
        return self.created + self.replaced + self.removed


def _apply(changes: list[Change], *, by: Any, source: str) -> tuple[Outcome, list[dict[str, Any]]]:
    """Write ``changes`` (inside the caller's transaction); what happened and the audit rows."""
    keys = {(c.branch_id, c.month) for c in changes}
    branch_ids = {c.branch_id for c in changes}
    month_set = {c.month for c in changes}
    existing = {
        (d.branch_id, d.month): d
        for d in Denominator.objects.select_for_update().filter(branch_id__in=branch_ids, month__in=month_set)
        if (d.branch_id, d.month) in keys
    }
    created = replaced = removed = unchanged = 0
    log: list[dict[str, Any]] = []
    for change in changes:
        current = existing.get((change.branch_id, change.month))
        before = {"value": current.value, "basis": current.basis} if current else None
        if change.value is None:
            if current is None:
                continue
            current.delete()
            removed += 1
        elif current is None:
            Denominator.objects.create(
                branch_id=change.branch_id, month=change.month, value=change.value, basis=change.basis,
                source=source, updated_by=by,
            )
            created += 1
        elif (current.value, current.basis) == (change.value, change.basis):
            unchanged += 1
            continue
        else:
            current.value, current.basis, current.source, current.updated_by = change.value, change.basis, source, by
            current.save()
            replaced += 1
        log.append({
            "branch": change.branch_code, "month": months.month_text(change.month), "before": before,
            "after": {"value": change.value, "basis": change.basis} if change.value is not None else None,
        })
    return Outcome(created, replaced, removed, unchanged), log


def _record(outcome: Outcome, log: list[dict[str, Any]], *, by: Any, action: str, summary: str) -> None:
    if not outcome.changed:
        return
    touched = sorted({row["month"] for row in log})
    audit.record(
        action, actor=by, object_type="denominators",
        object_id=touched[0] if len(touched) == 1 else f"{touched[0]}..{touched[-1]}",
        summary=f"{summary}: {outcome.created} new, {outcome.replaced} replaced, {outcome.removed} removed",
        after={"rows": log[:AUDITED_ROWS], "rows_total": len(log)},
    )


def import_csv(data: bytes, *, by: Any) -> Outcome:
    """Import a CSV file of denominators (see ``csvfile``); all rows or none.

    A row for a branch and month that already has a denominator replaces it.
    """
    ensure_may_change(by)
    text = csvfile.decode(data)
    branches = {code.lower(): (pk, code) for pk, code in Branch.objects.values_list("pk", "code")}
    rows = csvfile.parse(text, branches=branches, latest_month=months.current_month())
    changes = [Change(r.branch_id, r.branch_code, r.month, r.value, r.basis) for r in rows]
    with transaction.atomic():
        outcome, log = _apply(changes, by=by, source="csv")
        _record(outcome, log, by=by, action="insights.denominators_imported", summary=f"{len(rows)} rows imported from CSV")
    return outcome


def save_grid(year: int, cells: Mapping[tuple[int, int], str], bases: Mapping[int, str], *, by: Any) -> Outcome:
    """Save the page's year grid: ``cells`` maps (branch id, month 1–12) to what was typed
    (blank removes the denominator), ``bases`` a branch id to its basis for the year.

    Every wrong cell is reported (``DenominatorsRejected``; a problem's ``field`` names the
    cell, its message the branch and month) and nothing is saved.
    """
    ensure_may_change(by)
    branches = {b.pk: b for b in Branch.objects.filter(pk__in={branch_id for branch_id, _m in cells} | set(bases))}
    latest = months.current_month()
    problems: list[Problem] = []
    changes: list[Change] = []
    for (branch_id, month_number), text in sorted(cells.items()):
        branch = branches.get(branch_id)
        if branch is None or not 1 <= month_number <= 12:
            problems.append(Problem(0, _("An unknown branch or month was sent; reload the page.")))
            continue
        month = date(year, month_number, 1)
        where = f"{branch.label} {months.month_text(month)}"
        cell = f"cell-{branch_id}-{month_number}"
        basis = bases.get(branch_id) or Basis.CUSTOMERS.value
        if basis not in Basis.values:
            problems.append(Problem(0, _("%(where)s: “%(basis)s” is not a basis.") % {"where": branch.label, "basis": basis}, f"basis-{branch_id}"))
            continue
        if not (text or "").strip():
            changes.append(Change(branch_id, branch.code, month, None, basis))
            continue
        if month > latest:
            problems.append(Problem(0, _("%(where)s: the month has not begun.") % {"where": where}, cell))
            continue
        value, why = csvfile.parse_value(text)
        if value is None:
            problems.append(Problem(0, f"{where}: {why}", cell))
            continue
        changes.append(Change(branch_id, branch.code, month, value, basis))
    if problems:
        raise DenominatorsRejected(problems)
    with transaction.atomic():
        outcome, log = _apply(changes, by=by, source="form")
        _record(outcome, log, by=by, action="insights.denominators_changed", summary=f"denominators of {year} changed")
    return outcome


def now_year() -> int:
    return clock.now().astimezone(months.zone()).year
