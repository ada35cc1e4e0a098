"""Insights writes: KPI targets (people's input, audited).

Insights is responsible for the KPI catalogue, the rollup and its targets; it must never
change a case, and the rollup is written only by ``insights.rollup`` (derived data, not
audited). The per-10,000 denominators, publications and disputes are ``insights.rates``'.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from tingjian.audit import services as audit
from tingjian.org.models import Branch, Department

from . import kpis
from .models import KpiTarget

MANAGE_PERMISSION = "insights.manage_targets"


class TargetRefused(ValueError):
    """A target that cannot be saved; ``str()`` is the message for people, ``field`` the input."""

    def __init__(self, message: str, *, field: str = "value") -> None:
        super().__init__(message)
        self.field = field


def _ensure_may_manage(by: Any) -> None:
    if not getattr(by, "is_authenticated", False) or not by.has_perm(MANAGE_PERMISSION):
        raise PermissionDenied(_("You may not change KPI targets."))


def validate_target(kpi: kpis.Kpi, value: float) -> None:
    """Percentages 0–100, durations above zero, counts zero or more, CSAT 1–5, NPS −100–100."""
    if not math.isfinite(value):
        raise TargetRefused(_("The target must be a number."))
    if kpi.unit == "percent" and not 0 <= value <= 100:
        raise TargetRefused(_("A percentage target must be between 0 and 100."))
    if kpi.unit == "seconds" and value <= 0:
        raise TargetRefused(_("A time target must be more than zero."))
    if kpi.unit in ("count", "per10k") and value < 0:
        raise TargetRefused(_("A count target cannot be negative."))
    if kpi.code == "csat" and not 1 <= value <= 5:
        raise TargetRefused(_("A CSAT target must be between 1 and 5."))
    if kpi.code == "nps" and not -100 <= value <= 100:
        raise TargetRefused(_("An NPS target must be between −100 and 100."))


def _describe(target: KpiTarget) -> dict[str, Any]:
    return {
        "kpi": target.kpi, "value": target.value, "direction": target.direction,
        "branch": target.branch_id, "department": target.department_id,
    }


def set_target(
    *, kpi: str, value: float, by: Any, branch: Branch | None = None, department: Department | None = None,
) -> KpiTarget:
    """Set (or change) the target of a KPI for the company, one branch or one department.
    The direction is the KPI's own (at most for times and counts, at least for rates of
    success), so a target can never point the wrong way."""
    _ensure_may_manage(by)
    definition = kpis.CATALOGUE.get(kpi)
    if definition is None:
        raise TargetRefused(_("There is no KPI called “%(code)s”.") % {"code": kpi}, field="kpi")
    if branch is not None and department is not None:
        raise TargetRefused(_("A target is for the company, one branch or one department, not both."), field="branch")
    validate_target(definition, float(value))
    with transaction.atomic():
        target = (
            KpiTarget.objects.select_for_update()
            .filter(kpi=kpi, branch=branch, department=department).first()
        )
        before = _describe(target) if target else None
        if target is None:
            target = KpiTarget(kpi=kpi, branch=branch, department=department)
        target.value = float(value)
        target.direction = definition.direction
        target.updated_by = by
        target.save()
        audit.record(
            "insights.target_set", actor=by, object_type="kpitarget", object_id=target.pk,
            summary=f"{kpi} {definition.direction} {target.value:g}", before=before, after=_describe(target),
        )
    return target


def remove_target(target: KpiTarget, *, by: Any) -> None:
    _ensure_may_manage(by)
    with transaction.atomic():
        before = _describe(target)
        pk = target.pk
        target.delete()
        audit.record(
            "insights.target_removed", actor=by, object_type="kpitarget", object_id=pk,
            summary=f"{before['kpi']} target removed", before=before,
        )
