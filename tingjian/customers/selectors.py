from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from .models import Customer


def customers() -> QuerySet[Customer]:
    """Customers that exist on their own (a merged one lives on in its survivor)."""
    return Customer.objects.filter(merged_into__isnull=True).prefetch_related("identities")


def search_customers(query: str) -> QuerySet[Customer]:
    q = (query or "").strip()[:100]
    qs = customers()
    if q:
        match = Q(display_name__icontains=q) | Q(identities__external_id__icontains=q)
        digits = re.sub(r"\D", "", q)
        if len(digits) >= 3 and len(digits) >= len(q.replace(" ", "")) - 2:
            # Phones are stored as +886912345678: "0912…" is found by the digits after its 0.
            match |= Q(identities__kind="phone", identities__external_id__contains=digits.lstrip("0"))
        qs = qs.filter(match).distinct()
    return qs
