from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from .models import Customer, CustomerMerge, MatchSuggestion, SuggestionStatus


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


def open_suggestions(customer: Customer) -> QuerySet[MatchSuggestion]:
    """"Maybe the same person" for this customer, both sides still customers of their own."""
    return (
        MatchSuggestion.objects.filter(Q(customer=customer) | Q(candidate=customer), status=SuggestionStatus.OPEN)
        .filter(customer__merged_into__isnull=True, candidate__merged_into__isnull=True)
        .select_related("customer", "candidate").order_by("-created_at")
    )


def merges_of(customer: Customer) -> QuerySet[CustomerMerge]:
    return (
        CustomerMerge.objects.filter(Q(survivor=customer) | Q(absorbed=customer))
        .select_related("survivor", "absorbed", "merged_by", "undone_by").order_by("-merged_at")
    )


def suggestions_with_other(customer: Customer) -> list[tuple[MatchSuggestion, Customer]]:
    """Each open suggestion with the *other* customer it names."""
    return [
        (s, s.candidate if s.customer_id == customer.pk else s.customer) for s in open_suggestions(customer)
    ]
