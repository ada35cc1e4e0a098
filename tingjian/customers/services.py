"""Customers and their identities.

Responsible for: creating customers, attaching identities (unique per channel kind), and
normalising handles so the same email or phone is recognised however it was typed.
Must never: import another Tingjian app except ``audit`` (it sits at the bottom).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tingjian.audit import services as audit

from .models import Customer, Identity, IdentityKind


class IdentityTaken(ValidationError):
    """The handle already belongs to another customer."""


def normalise_handle(kind: str, external_id: str) -> str:
    value = (external_id or "").strip()
    if kind == IdentityKind.EMAIL:
        value = value.lower()
        validate_email(value)
    elif kind == IdentityKind.PHONE:
        digits = re.sub(r"[^\d+]", "", value)
        if len(re.sub(r"\D", "", digits)) < 6:
            raise ValidationError(_("A phone number needs at least six digits."))
        value = digits
    if not value:
        raise ValidationError(_("An identity needs a value."))
    if len(value) > 255:
        raise ValidationError(_("An identity is at most 255 characters."))
    return value


def create_customer(
    *, display_name: str, by: Any | None, language: str = "zh-hant", notes: str = "",
    identities: list[tuple[str, str]] | None = None,
) -> Customer:
    if by is not None and not by.has_perm("customers.add_customer"):
        raise PermissionDenied(_("You may not add customers."))
    name = display_name.strip()
    if not name:
        raise ValidationError({"display_name": _("A customer needs a name.")})
    with transaction.atomic():
        customer = Customer(display_name=name, language=language, notes=notes)
        customer.full_clean()
        customer.save()
        audit.record(
            "customer.created", actor=by, object_type="customer", object_id=customer.pk,
            summary=f"customer {customer.pk} created",
        )
        for kind, external_id in identities or []:
            add_identity(customer, kind=kind, external_id=external_id, by=by)
        return customer


def add_identity(customer: Customer, *, kind: str, external_id: str, by: Any | None) -> Identity:
    if kind not in IdentityKind.values:
        raise ValidationError({"kind": _("Unknown identity kind: %(kind)s") % {"kind": kind}})
    value = normalise_handle(kind, external_id)
    existing = Identity.objects.filter(kind=kind, external_id=value).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise IdentityTaken(_("This %(kind)s already belongs to another customer.") % {"kind": existing.get_kind_display()})
    try:
        with transaction.atomic():
            identity = Identity.objects.create(customer=customer, kind=kind, external_id=value)
            audit.record(
                "customer.identity_added", actor=by, object_type="customer", object_id=customer.pk,
                summary=f"{kind} identity added",
            )
    except IntegrityError as exc:  # lost a race with another writer
        raise IdentityTaken(_("This identity already belongs to another customer.")) from exc
    return identity


def find_or_create_by_identity(
    *, kind: str, external_id: str, display_name: str, by: Any | None, language: str = "zh-hant"
) -> Customer:
    """The customer behind a handle, created on first contact."""
    value = normalise_handle(kind, external_id)
    identity = Identity.objects.select_related("customer").filter(kind=kind, external_id=value).first()
    if identity is not None:
        return identity.customer
    return create_customer(
        display_name=display_name or value, by=by, language=language, identities=[(kind, value)]
    )


def update_customer(customer: Customer, *, by: Any | None, **fields: Any) -> Customer:
    if by is not None and not by.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not change customers."))
    allowed = {"display_name", "language", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        before = {k: getattr(customer, k) for k in fields}
        for key, value in fields.items():
            setattr(customer, key, value)
        customer.full_clean()
        customer.save()
        audit.record(
            "customer.changed", actor=by, object_type="customer", object_id=customer.pk,
            summary="customer changed", before=before, after=dict(fields),
        )
    return customer
