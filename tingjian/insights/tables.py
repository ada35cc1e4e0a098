"""Every table insights shows can leave as CSV or XLSX: one shape, two writers.

A selector that feeds a table on a page returns a ``Table``; the page renders it, and the
same object is exported, so the file always says what the screen said.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# A spreadsheet runs a cell that starts with one of these as a formula; a complaint text
# such as "=HYPERLINK(...)" must arrive as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text, int, float, percent (0–1 stored, shown ×100), seconds (a duration)
    kind: str = "text"


@dataclass
class Table:
    name: str  # the file's stem: letters, digits, dashes
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def values(self, row: dict[str, Any]) -> list[Any]:
        return [row.get(column.key) for column in self.columns]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(column.label) for column in table.columns])
    for row in table.rows:
        writer.writerow([_cell(v) for v in table.values(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(str(table.title) or table.name)[:31].translate(str.maketrans("[]:*?/\\", "_______")))
    sheet.append([str(column.label) for column in table.columns])
    for row in table.rows:
        cells: list[Any] = []
        for column, value in zip(table.columns, table.values(row), strict=True):
            if value is None:
                cells.append(None)
            elif column.kind in ("int", "float", "percent", "seconds") and isinstance(value, int | float):
                cells.append(value)
            elif isinstance(value, datetime):
                cells.append(value.replace(tzinfo=None) if value.tzinfo else value)
            else:
                cells.append(_cell(value) if isinstance(value, str) else value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export(table: Table, fmt: str) -> tuple[bytes, str, str]:
    """(content, content type, file name) for ``fmt`` "csv" or "xlsx"; ValueError otherwise."""
    if fmt == "csv":
        return to_csv(table), CONTENT_TYPES["csv"], f"{table.name}.csv"
    if fmt == "xlsx":
        return to_xlsx(table), CONTENT_TYPES["xlsx"], f"{table.name}.xlsx"
    raise ValueError(f"unknown export format {fmt!r}; use csv or xlsx")
