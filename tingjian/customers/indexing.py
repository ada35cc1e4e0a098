"""A customer in the search index: their name, handles and notes, so an agent finds them
by name in either script, by phone (as dialled locally or internationally), email or a
channel handle. A customer merged into another is not searchable on their own; an un-merge
makes them so again.
"""

from __future__ import annotations

import phonenumbers

from tingjian.search import services as search
from tingjian.search.models import Kind

from .models import Customer, IdentityKind


def _phone_forms(number: str) -> list[str]:
    """+886912345678 also as 0912345678, the way a Taiwanese agent types it."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return [number]
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return [number, national.replace(" ", "").replace("-", "")]


def reindex(customer: Customer) -> None:
    if customer.merged_into_id is not None:
        search.remove(Kind.CUSTOMER, customer.pk)
        return
    handles: list[str] = []
    for identity in customer.identities.all():
        if identity.kind == IdentityKind.PHONE:
            handles.extend(_phone_forms(identity.external_id))
        else:
            handles.append(identity.external_id)
    search.index_document(
        Kind.CUSTOMER, customer.pk, title=customer.display_name,
        body="\n".join([*handles, customer.notes]), at=customer.created_at,
    )
