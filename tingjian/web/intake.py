"""Opening a case from the new-case form: the customer (new or existing) and the case together.

Both writes happen in one transaction, so a refused case leaves no orphan customer behind.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.customers import services as customer_services

from .forms import NewCaseForm


def open_case_from_form(form: NewCaseForm, *, by: Any) -> Case:
    data = form.cleaned_data
    with transaction.atomic():
        customer = data.get("customer") or customer_services.create_customer(
            display_name=data["new_customer_name"], by=by, identities=form.identities()
        )
        return case_services.open_case(
            customer=customer, subject=data["subject"], channel=data["channel"],
            body=data["body"], by=by, fields=form.case_fields(),
        )
