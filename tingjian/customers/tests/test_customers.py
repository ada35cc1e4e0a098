"""One customer across channels: identities are unique per kind and recognised however typed."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from tingjian.customers import services
from tingjian.customers.models import Customer, Identity

pytestmark = pytest.mark.django_db


def test_same_handle_finds_the_same_customer_across_typing_variants() -> None:
    first = services.find_or_create_by_identity(kind="email", external_id="Mei.Lin@Example.com ", display_name="林美", by=None)
    again = services.find_or_create_by_identity(kind="email", external_id="mei.lin@example.com", display_name="Mei", by=None)
    assert first == again and Customer.objects.count() == 1


def test_phone_numbers_are_compared_by_digits() -> None:
    customer = services.create_customer(display_name="陳先生", by=None, identities=[("phone", "0912-345-678")])
    assert services.find_or_create_by_identity(kind="phone", external_id="0912 345 678", display_name="?", by=None) == customer


def test_an_identity_belongs_to_one_customer_only() -> None:
    a = services.create_customer(display_name="A", by=None, identities=[("line", "U1234567890")])
    b = services.create_customer(display_name="B", by=None)
    with pytest.raises(services.IdentityTaken):
        services.add_identity(b, kind="line", external_id="U1234567890", by=None)
    assert Identity.objects.get(kind="line").customer == a


def test_the_same_external_id_on_another_kind_is_another_identity() -> None:
    services.create_customer(display_name="A", by=None, identities=[("line", "abc123")])
    b = services.create_customer(display_name="B", by=None, identities=[("messenger", "abc123")])
    assert b.identities.get().kind == "messenger"


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-email"), ("phone", "12"), ("line", "   "), ("fax", "123456"), ("line", "x" * 256)],
)
def test_bad_identities_are_refused_with_a_reason(kind: str, value: str) -> None:
    customer = services.create_customer(display_name="A", by=None)
    with pytest.raises(ValidationError):
        services.add_identity(customer, kind=kind, external_id=value, by=None)
    assert customer.identities.count() == 0


def test_a_customer_needs_a_name() -> None:
    with pytest.raises(ValidationError):
        services.create_customer(display_name="  ", by=None)


def test_a_customer_with_a_bad_identity_is_not_created_half(db: Any) -> None:
    with pytest.raises(ValidationError):
        services.create_customer(display_name="半個顧客", by=None, identities=[("email", "broken@")])
    assert not Customer.objects.filter(display_name="半個顧客").exists()


def test_only_staff_with_the_permission_create_customers(users: dict[str, Any]) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.create_customer(display_name="路人", by=users["executive"])
    assert services.create_customer(display_name="路人", by=users["agent"]).pk
