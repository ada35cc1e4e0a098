"""Merging two customers into one, and undoing it.

The customers app owns identities and the merge record; this module owns the other half,
the cases, which move with the customer. Both halves run in one transaction, with the two
customer rows locked in id order (STYLE 6b), so a merge is all or nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.customers import services as customer_services
from tingjian.customers.models import Customer, CustomerMerge

from .models import Case, Direction, Message


def merge_customers(survivor: Customer, absorbed: Customer, *, by: Any, why: str) -> CustomerMerge:
    """``absorbed``'s identities and cases become ``survivor``'s; recorded so it can be undone."""
    if survivor.pk == absorbed.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[survivor.pk, absorbed.pk]).order_by("pk")}
        survivor, absorbed = locked[survivor.pk], locked[absorbed.pk]
        case_ids = list(Case.objects.filter(customer=absorbed).values_list("pk", flat=True))
        merge = customer_services.absorb(survivor, absorbed, by=by, why=why, moved_cases=case_ids, at=clock.now())
        Case.objects.filter(pk__in=case_ids).update(customer=survivor)
        return merge


def unmerge_customers(merge: CustomerMerge, *, by: Any, why: str) -> CustomerMerge:
    """Put identities and cases back where they were before ``merge``.

    Cases opened after the merge whose first message came through one of the absorbed
    customer's identities go back with them: they were that person's all along.
    """
    with transaction.atomic():
        merge = customer_services.unabsorb(merge, by=by, why=why, at=clock.now())
        identity_ids = merge.moved.get("identities", [])
        first_author = Subquery(
            Message.objects.filter(case=OuterRef("pk"), direction=Direction.INBOUND)
            .order_by("sent_at", "id").values("author_identity")[:1]
        )
        later = (
            Case.objects.filter(customer=merge.survivor, opened_at__gte=merge.merged_at)
            .annotate(first_author=first_author)
            .filter(first_author__in=identity_ids)
            .values_list("pk", flat=True)
        )
        ids = set(merge.moved.get("cases", [])) | set(later)
        Case.objects.filter(pk__in=ids, customer=merge.survivor).update(customer=merge.absorbed)
        return merge
