"""Importing denominators from CSV: every wrong row is listed and nothing is saved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from tingjian.audit.models import AuditEvent
from tingjian.insights.models import Basis, Denominator
from tingjian.insights.rates import denominators
from tingjian.insights.rates.csvfile import DenominatorsRejected
from tingjian.org.tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
GOOD = "branch,month,value,basis\r\ntpe-xinyi,2026-01,15000,customers\r\ntpe-daan,2026-01,\"12,000\",transactions\r\n"


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def branches(company: dict[str, Any]) -> dict[str, Any]:
    return {"tpe-xinyi": company["branch"], "tpe-daan": BranchFactory(code="tpe-daan")}


@pytest.fixture
def manager(users: dict[str, Any]) -> Any:
    return users["manager"]


def _import(text: str | bytes, by: Any) -> denominators.Outcome:
    return denominators.import_csv(text.encode("utf-8") if isinstance(text, str) else text, by=by)


def _problems(text: str | bytes, by: Any) -> list[str]:
    with pytest.raises(DenominatorsRejected) as refused:
        _import(text, by)
    assert not Denominator.objects.exists(), "a rejected file saved something"
    return [str(problem) for problem in refused.value.problems]


def test_a_good_file_is_imported(branches: dict[str, Any], manager: Any) -> None:
    outcome = _import(GOOD, manager)

    assert outcome.created == 2
    stored = {(d.branch.code, d.month, d.value, d.basis) for d in Denominator.objects.select_related("branch")}
    assert stored == {
        ("tpe-xinyi", date(2026, 1, 1), 15_000, Basis.CUSTOMERS),
        ("tpe-daan", date(2026, 1, 1), 12_000, Basis.TRANSACTIONS),
    }


def test_the_import_is_audited(branches: dict[str, Any], manager: Any) -> None:
    _import(GOOD, manager)

    event = AuditEvent.objects.get(action="insights.denominators_imported")
    assert event.actor_id == manager.pk
    assert event.after["rows_total"] == 2


def test_excels_utf8_byte_order_mark_is_accepted(branches: dict[str, Any], manager: Any) -> None:
    assert _import(b"\xef\xbb\xbf" + GOOD.encode("utf-8"), manager).created == 2


def test_big5_with_chinese_headers_is_accepted(branches: dict[str, Any], manager: Any) -> None:
    text = "分店,月份,人數,基準\r\ntpe-xinyi,2026-01,15000,顧客\r\n"

    assert _import(text.encode("big5"), manager).created == 1


def test_a_row_for_a_month_with_a_value_replaces_it(branches: dict[str, Any], manager: Any) -> None:
    Denominator.objects.create(branch=branches["tpe-xinyi"], month=date(2026, 1, 1), value=1)

    outcome = _import(GOOD, manager)

    assert (outcome.created, outcome.replaced) == (1, 1)
    assert Denominator.objects.get(branch=branches["tpe-xinyi"]).value == 15_000


def test_an_unknown_branch_is_listed_by_line(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems(GOOD + "kaohsiung,2026-01,100\r\n", manager)

    assert problems == ["Line 4: unknown branch “kaohsiung”"]


@pytest.mark.parametrize("month", ["2026-13", "Jan 2026", "", "2026-01-15"])
def test_a_bad_month_is_listed(month: str, branches: dict[str, Any], manager: Any) -> None:
    problems = _problems(f"branch,month,value\ntpe-xinyi,{month},100\n", manager)

    assert len(problems) == 1
    assert problems[0].startswith("Line 2:") and "YYYY-MM" in problems[0]


def test_a_month_that_has_not_begun_is_refused(branches: dict[str, Any], manager: Any) -> None:
    assert _problems("branch,month,value\ntpe-xinyi,2026-04,100\n", manager) == ["Line 2: 2026-04 has not begun"]


@pytest.mark.parametrize(("value", "why"), [
    ("0", "more than zero"), ("-3", "more than zero"), ("many", "not a number"),
    ("", "missing"), ("12.5", "whole number"), ("99999999999", "too large"),
])
def test_a_bad_value_is_listed(value: str, why: str, branches: dict[str, Any], manager: Any) -> None:
    problems = _problems(f"branch,month,value\ntpe-xinyi,2026-01,{value}\n", manager)

    assert len(problems) == 1 and why in problems[0]


def test_a_duplicate_row_is_listed_with_the_line_it_repeats(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems(GOOD + "TPE-XINYI,2026-1,16000\r\n", manager)

    assert problems == ["Line 4: the same branch and month as line 2"]


def test_a_wrong_header_is_refused(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems("store,period,amount\ntpe-xinyi,2026-01,100\n", manager)

    assert len(problems) == 1 and "header" in problems[0]


def test_a_file_without_a_header_is_refused(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems("tpe-xinyi,2026-01,100\n", manager)

    assert "header" in problems[0]


def test_an_unknown_basis_is_listed(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems("branch,month,value,basis\ntpe-xinyi,2026-01,100,tables\n", manager)

    assert problems == ["Line 2: “tables” is not a basis; write customers or transactions"]


def test_an_extra_column_is_listed(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems("branch,month,value\ntpe-xinyi,2026-01,12,000\n", manager)

    assert "columns" in problems[0]


def test_every_wrong_row_is_listed_at_once(branches: dict[str, Any], manager: Any) -> None:
    text = "branch,month,value\ntpe-xinyi,2026-01,0\ntpe-daan,2026-01,100\nnowhere,2026-02,-1\n"

    problems = _problems(text, manager)

    assert [p.split(":")[0] for p in problems] == ["Line 2", "Line 4"]
    assert "unknown branch" in problems[1] and "more than zero" in problems[1]


def test_a_file_that_is_not_text_is_refused(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems("branch,month,value\n".encode("utf-16-le"), manager)

    assert "UTF-8" in problems[0]


def test_an_excel_workbook_is_refused_with_a_hint(branches: dict[str, Any], manager: Any) -> None:
    problems = _problems(b"PK\x03\x04" + b"\x00" * 40, manager)

    assert "Excel" in problems[0]


def test_an_empty_file_is_refused(branches: dict[str, Any], manager: Any) -> None:
    assert _problems(b"", manager) == ["The file is empty."]


def test_a_header_without_rows_is_refused(branches: dict[str, Any], manager: Any) -> None:
    assert "no rows" in _problems("branch,month,value\n", manager)[0]


def test_agents_may_not_import(branches: dict[str, Any], users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        _import(GOOD, users["agent"])
