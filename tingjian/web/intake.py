"""Opening a case from the new-case form: the customer (new or existing) and the case together.

Both writes happen in one transaction, so a refused case leaves no orphan customer behind.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.customers import services as customer_services
from tingjian.customers.models import Customer

from .forms import NewCaseForm


def open_case_from_form(form: NewCaseForm, *, by: Any) -> Case:
    data = form.cleaned_data
    with transaction.atomic():
        customer = data.get("customer") or _new_customer(form, by=by)
        return case_services.open_case(
            customer=customer, subject=data["subject"], channel=data["channel"],
            body=data["body"], by=by, fields=form.case_fields(),
        )


def _new_customer(form: NewCaseForm, *, by: Any) -> Customer:
    data = form.cleaned_data
    try:
        return customer_services.create_customer(
            display_name=data["new_customer_name"], by=by, identities=form.identities()
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        # A handle problem carries no field; it belongs to the phone (or the email if alone).
        field = "new_customer_phone" if data.get("new_customer_phone") else "new_customer_email"
        raise ValidationError({field: exc.messages}) from exc
