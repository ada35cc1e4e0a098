"""Demo denominators: plausible customer counts for every active branch, so the per-10,000
page has figures to show and to publish. For ``tingjian demo`` only."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction

from tingjian.org.models import Branch

from ..models import Basis, Denominator
from . import months


def seed_demo_denominators(*, count: int = 6, by: Any | None = None) -> int:
    """Customers served by each active branch in each of the last ``count`` months (this month
    included), the same numbers on every run; existing values are left alone. Returns how
    many were created."""
    created = 0
    with transaction.atomic():
        for branch in Branch.objects.filter(is_active=True).order_by("code"):
            for month in months.recent_months(count):
                created += _seed(branch, month, by)
    return created


def _seed(branch: Branch, month: date, by: Any | None) -> int:
    # A stable size per branch (8,000–30,000 customers a month) with a little monthly wobble.
    digest = hashlib.sha256(f"{branch.code}:{months.month_text(month)}".encode()).digest()
    base = 8_000 + int.from_bytes(hashlib.sha256(branch.code.encode()).digest()[:2]) % 22_000
    value = base + (digest[0] - 128) * 10
    _obj, created = Denominator.objects.get_or_create(
        branch=branch, month=month,
        defaults={"value": value, "basis": Basis.CUSTOMERS, "source": "demo", "updated_by": by},
    )
    return int(created)
