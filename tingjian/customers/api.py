"""The customers part of REST API v1: a router the api app collects (STYLE rule 7).

Thin endpoints: parse with the schemas below, call a selector or service, shape the answer.
Errors are raised, never rendered here; the api app turns them into problem+json. The
customer *detail* lists the customer's cases, so the cases app contributes it (customers
imports no app above it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from . import selectors, services
from .models import Customer, IdentityKind

router = Router()

LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


class IdentityIn(Schema):
    kind: IdentityKind
    value: str = Field(..., min_length=1, max_length=255)


class IdentityOut(Schema):
    kind: str
    value: str


class CustomerIn(Schema):
    """A new customer; identities are handles on channels (phone, email, LINE userId…)."""

    model_config = {"extra": "forbid"}

    name: str = Field(..., min_length=1, max_length=200)
    language: str = Field("zh-hant", description=f"one of {', '.join(LANGUAGES)}")
    notes: str = Field("", max_length=10_000)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=20)


class CustomerOut(Schema):
    id: int
    name: str
    language: str
    identities: list[IdentityOut]
    created_at: datetime


class CustomerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CustomerOut]


class CustomerListQuery(Schema):
    q: str = Field("", max_length=100, description="part of a name or of a handle")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


def ensure_may_view_customers(user: Any) -> None:
    if not user.has_perm("customers.view_customer"):
        raise PermissionDenied(_("You may not see customers."))


def customer_out(customer: Customer) -> dict[str, Any]:
    """Shape a customer; its identities must be prefetched (selectors.customers does)."""
    return {
        "id": customer.pk,
        "name": customer.display_name,
        "language": customer.language,
        "identities": [{"kind": i.kind, "value": i.external_id} for i in customer.identities.all()],
        "created_at": customer.created_at,
    }


def create_from(payload: CustomerIn, *, by: Any) -> Customer:
    """Create the customer a request describes (also used by POST /cases for a new customer)."""
    return services.create_customer(
        display_name=payload.name, by=by, language=payload.language, notes=payload.notes,
        identities=[(i.kind.value, i.value) for i in payload.identities],
    )


@router.get("", response=CustomerPage, summary="List customers")
def list_customers(request: HttpRequest, filters: Query[CustomerListQuery]) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    ensure_may_view_customers(user)
    qs = selectors.search_customers(filters.q)
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(), "limit": filters.limit, "offset": filters.offset,
        "items": [customer_out(c) for c in page],
    }


@router.post("", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status:
    customer = create_from(payload, by=request.auth)  # type: ignore[attr-defined]
    return Status(201, customer_out(selectors.customers().get(pk=customer.pk)))
