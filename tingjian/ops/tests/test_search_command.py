"""`tingjian search reindex|status`: a rebuild makes everything findable again."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from tingjian.cases import finding
from tingjian.cases.models import Case
from tingjian.search.models import Entry, Kind

pytestmark = pytest.mark.django_db


def test_reindex_rebuilds_cases_and_customers_after_the_index_was_lost(
    open_case: Callable[..., Case], users: dict[str, Any], customer: Any,
) -> None:
    case = open_case(body="珍珠奶茶的珍珠沒煮熟")
    Entry.objects.all().delete()
    assert finding.search_cases(users["agent"], "珍珠").total == 0
    out = StringIO()
    call_command("search", "reindex", stdout=out)
    assert [hit.ref for hit in finding.search_cases(users["agent"], "珍珠").hits] == [case.pk]
    assert Entry.objects.filter(kind=Kind.CUSTOMER, ref=customer.pk).exists()
    assert "1 cases indexed" in out.getvalue()
    status = StringIO()
    call_command("search", "status", stdout=status)
    assert "cases: 1 indexed of 1" in status.getvalue()
