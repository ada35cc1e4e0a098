"""Reading a CSV file of denominators: one row per branch and month.

Columns (the first line is the header, in any order): ``branch`` (the branch code),
``month`` (YYYY-MM), ``value`` (a whole number above zero) and optionally ``basis``
(``customers``, the default, or ``transactions``). Chinese headers work too (分店, 月份,
人數/數值, 基準). The file may be UTF-8 (with or without the byte-order mark Excel writes)
or Big5 (Excel on a Traditional Chinese Windows); GB18030 is tried last.

Every wrong row is reported with its line number and nothing is read from a file that has
one: a half-imported file would put some branches' bonuses on new numbers and others' on old.

Must never: touch the database beyond reading the branch codes the caller passes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Basis
from . import months

MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
# PositiveIntegerField's ceiling on PostgreSQL.
MAX_VALUE = 2_147_483_647

HEADERS = {
    "branch": {"branch", "branchcode", "code", "分店", "分店代碼", "分店代码", "店號", "店号", "門市", "门市"},
    "month": {"month", "yearmonth", "月份", "月", "年月"},
    "value": {"value", "count", "customers", "denominator", "數值", "数值", "人數", "人数", "來客數", "来客数", "客數", "客数"},
    "basis": {"basis", "counted", "kind", "基準", "基准", "類型", "类型", "種類", "种类"},
}
REQUIRED = ("branch", "month", "value")
BASES = {
    Basis.CUSTOMERS.value: {"customers", "customer", "guests", "visits", "顧客", "顾客", "來客", "来客", "客數", "客数", "人數", "人数"},
    Basis.TRANSACTIONS.value: {"transactions", "transaction", "orders", "receipts", "交易", "交易數", "交易数", "單數", "单数", "訂單", "订单"},
}
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file: ``line`` 0 is the file as a whole."""

    line: int
    message: str
    field: str = ""  # the grid's input it is about, if any

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message}
        return self.message


class DenominatorsRejected(ValidationError):
    """Some rows (or cells of the grid) are wrong; nothing was saved. ``problems`` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__([str(problem) for problem in problems])


@dataclass(frozen=True)
class Row:
    line: int
    branch_id: int
    branch_code: str
    month: date
    value: int
    basis: str


def decode(data: bytes) -> str:
    """The file's text; ``DenominatorsRejected`` when it is not a text file we can read."""
    if len(data) > MAX_BYTES:
        raise DenominatorsRejected([Problem(0, _("The file is larger than 1 MB; a denominator file is a few kilobytes. Is it the right file?"))])
    if not data.strip():
        raise DenominatorsRejected([Problem(0, _("The file is empty."))])
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise DenominatorsRejected([Problem(0, _("This is an Excel workbook, not a CSV file. In Excel choose File › Save As › CSV UTF-8, then upload that file."))])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp950", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise DenominatorsRejected([Problem(0, _("The file is not text in UTF-8 or Big5. Save it as CSV UTF-8 and try again."))])


def _header_key(cell: str) -> str | None:
    name = re.sub(r"[\s_\-()（）]", "", cell.strip().lower())
    for key, names in HEADERS.items():
        if name in names:
            return key
    return None


def parse_value(text: str) -> tuple[int | None, str]:
    """(the whole number, "") or (None, why it is not a usable denominator)."""
    raw = (text or "").strip()
    if not raw:
        return None, _("the value is missing")
    cleaned = re.sub(r"[,\s_，]", "", raw)
    if not _NUMBER.match(cleaned):
        return None, _("“%(value)s” is not a number") % {"value": raw[:40]}
    number = float(cleaned)
    if number <= 0:
        return None, _("the value must be more than zero (“%(value)s”); leave out a branch with no count") % {"value": raw[:40]}
    if not number.is_integer():
        return None, _("the value must be a whole number (“%(value)s”)") % {"value": raw[:40]}
    if number > MAX_VALUE:
        return None, _("the value is too large (“%(value)s”)") % {"value": raw[:40]}
    return int(number), ""


def parse_basis(text: str) -> str | None:
    raw = (text or "").strip().lower()
    if not raw:
        return Basis.CUSTOMERS.value
    for basis, names in BASES.items():
        if raw in names:
            return basis
    return None


def parse(text: str, *, branches: dict[str, tuple[int, str]], latest_month: date) -> list[Row]:
    """The rows of ``text``; ``DenominatorsRejected`` listing every problem when any row is wrong.

    ``branches`` maps a lower-case branch code to (id, code); months after ``latest_month``
    are refused (they have not begun).
    """
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    numbered = [(number, cells) for number, cells in enumerate(lines, start=1) if any(cell.strip() for cell in cells)]
    if not numbered:
        raise DenominatorsRejected([Problem(0, _("The file is empty."))])
    header_line, header = numbered[0]
    keys = [_header_key(cell) for cell in header]
    expected = "branch,month,value[,basis]"
    problems = []
    unknown = [cell.strip() for cell, key in zip(header, keys, strict=True) if key is None and cell.strip()]
    missing = [name for name in REQUIRED if name not in keys]
    if missing or unknown:
        found = ",".join(cell.strip() for cell in header)[:120]
        raise DenominatorsRejected([Problem(header_line, _("the first line must be the header %(expected)s; it is “%(found)s”.") % {"expected": expected, "found": found})])
    doubled = sorted({key for key in keys if key and keys.count(key) > 1})
    if doubled:
        raise DenominatorsRejected([Problem(header_line, _("the header names a column twice: %(columns)s.") % {"columns": ", ".join(doubled)})])
    if len(numbered) - 1 > MAX_ROWS:
        raise DenominatorsRejected([Problem(0, _("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})])
    position = {key: index for index, key in enumerate(keys) if key}
    rows: list[Row] = []
    seen: dict[tuple[int, date], int] = {}
    for line, cells in numbered[1:]:
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            problems.append(Problem(line, _("it has %(found)s columns, the header has %(expected)s (a value with a comma must be in quotes)") % {"found": len(cells), "expected": len(header)}))
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            index = position.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        wrong = []
        code = cell("branch")
        branch = branches.get(code.lower())
        if not code:
            wrong.append(_("the branch code is missing"))
        elif branch is None:
            wrong.append(_("unknown branch “%(code)s”") % {"code": code[:40]})
        month = months.parse_month(cell("month"))
        if month is None:
            wrong.append(_("“%(month)s” is not a month; write it as YYYY-MM") % {"month": cell("month")[:20]})
        elif month > latest_month:
            wrong.append(_("%(month)s has not begun") % {"month": months.month_text(month)})
        value, why = parse_value(cell("value"))
        if value is None:
            wrong.append(why)
        basis = parse_basis(cell("basis"))
        if basis is None:
            wrong.append(_("“%(basis)s” is not a basis; write customers or transactions") % {"basis": cell("basis")[:40]})
        if branch is not None and month is not None:
            earlier = seen.get((branch[0], month))
            if earlier is not None:
                wrong.append(_("the same branch and month as line %(line)s") % {"line": earlier})
            else:
                seen[(branch[0], month)] = line
        if wrong:
            problems.append(Problem(line, "; ".join(wrong)))
            continue
        assert branch is not None and month is not None and value is not None and basis is not None
        rows.append(Row(line=line, branch_id=branch[0], branch_code=branch[1], month=month, value=value, basis=basis))
    if problems:
        raise DenominatorsRejected(problems)
    if not rows:
        raise DenominatorsRejected([Problem(0, _("The file has a header but no rows."))])
    return rows


def sample() -> str:
    """A file people can start from."""
    return "branch,month,value,basis\r\ntpe-xinyi,2026-01,15000,customers\r\n"
