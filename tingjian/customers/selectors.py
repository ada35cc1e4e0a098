from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Customer


def customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related("identities")


def search_customers(query: str) -> QuerySet[Customer]:
    q = (query or "").strip()[:100]
    qs = customers()
    if q:
        qs = qs.filter(Q(display_name__icontains=q) | Q(identities__external_id__icontains=q)).distinct()
    return qs
