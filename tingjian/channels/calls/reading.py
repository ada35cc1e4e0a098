"""Reading a call log into a table: its header row and its data rows.

XLSX, or CSV in UTF-8, UTF-16, Big5 or GB18030 with any delimiter (the encoding and the
delimiter are guessed from the header row); empty and repeated header names made unique,
blank rows skipped, cells read as text the way a person sees them. A file we cannot read
is a ValidationError on the ``file`` field, in plain words.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import CallImport
from .mapping import guess_mapping

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "TINGJIAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class Table:
    """A file's header row and its data rows, each with the row number a spreadsheet shows."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""


def unreadable(message: str) -> ValidationError:
    return ValidationError({"file": message})


def file_format(content: bytes) -> str:
    """``xlsx`` or ``csv``, from the bytes (a renamed file is still read right)."""
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise unreadable(_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload that."))
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise unreadable(_("This file is neither CSV nor XLSX."))
    return "csv"


def read_table(content: bytes, fmt: str, *, limit: int | None = None) -> Table:
    """The file's table; ``limit`` data rows at most (the mapping page needs only a few)."""
    table = _read_xlsx(content, limit) if fmt == "xlsx" else _read_csv(content, limit)
    if not table.headers:
        raise unreadable(_("The file is empty: there is no header row."))
    return table


def _content(call_import: CallImport) -> bytes:
    with call_import.file.open("rb") as handle:
        data: bytes = handle.read()
    return data


def table_of(call_import: CallImport, *, limit: int | None = None) -> Table:
    return read_table(_content(call_import), call_import.file_format, limit=limit)


def cell_text(value: Any) -> str:
    """A cell as text: Excel's 1001.0 is "1001", a date is ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def short_text(value: Any, length: int = 60) -> str:
    """A value as a person reads it (a date cell as 2026-11-20 14:05), cut to length."""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    text = " ".join(cell_text(value).split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _unique_headers(cells: Iterable[Any]) -> list[str]:
    """Header names as keys: an empty one becomes "Column C", a repeated one gets " (2)"."""
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = " ".join(cell_text(cell).split()) or f"Column {_column_name(i)}"
        candidate, n = name, 2
        while candidate in out:
            candidate, n = f"{name} ({n})", n + 1
        out.append(candidate)
    while out and out[-1].startswith("Column ") and len(out) > 1 and _is_generated(out[-1], len(out) - 1):
        out.pop()  # trailing empty header cells are not columns
    return out


def _is_generated(name: str, index: int) -> bool:
    return name == f"Column {_column_name(index)}"


def _blank(cells: Iterable[Any]) -> bool:
    return all(cell_text(c) == "" for c in cells)


def _table(raw_rows: Iterable[list[Any]], limit: int | None, **extra: Any) -> Table:
    headers: list[str] = []
    rows: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(raw_rows, start=1):
        if not headers:
            if not _blank(cells):
                headers = _unique_headers(cells)
            continue
        if _blank(cells):
            continue
        cells = list(cells[: len(headers)]) + [""] * (len(headers) - len(cells))
        rows.append((number, cells))
        if limit is not None and len(rows) >= limit:
            break
    return Table(headers=headers, rows=rows, **extra)


def _read_xlsx(content: bytes, limit: int | None) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook fails in many ways; all mean the same
        raise unreadable(_("This XLSX file cannot be opened (%(error)s).") % {"error": type(exc).__name__}) from exc
    try:
        sheet = book.active or book.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # Some exporters write a wrong size; read what is there, not what it claims.
            sheet.reset_dimensions()
        return _table(([*row] for row in sheet.iter_rows(values_only=True)), limit)
    finally:
        book.close()


# Excel on a Traditional Chinese Windows saves CSV in Big5 (cp950), on a Simplified one in
# GBK/GB18030; "CSV UTF-8" adds a BOM; "Unicode text" is UTF-16 with tabs.
_LEGACY_ENCODINGS = (("cp950", "Big5"), ("big5hkscs", "Big5"), ("gb18030", "GB18030"))
_DELIMITERS = ",;\t|"


def decode(content: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-8 is certain when it decodes; Big5 and GB18030 both decode
    much of each other's bytes, so the one whose header row we recognise wins."""
    for bom, codec, label in (
        (b"\xef\xbb\xbf", "utf-8-sig", "UTF-8"), (b"\xff\xfe", "utf-16", "UTF-16"), (b"\xfe\xff", "utf-16", "UTF-16"),
    ):
        if content.startswith(bom):
            try:
                return content.decode(codec), label
            except UnicodeDecodeError as exc:
                raise unreadable(_("The file says it is %(encoding)s but is not.") % {"encoding": label}) from exc
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    decoded = []
    for codec, label in _LEGACY_ENCODINGS:
        try:
            decoded.append((content.decode(codec), label, codec))
        except UnicodeDecodeError:
            continue
    if any(codec == "cp950" for _t, _l, codec in decoded):
        # Big5-HKSCS adds Hong Kong characters to Big5; needed only when plain Big5 fails.
        decoded = [d for d in decoded if d[2] != "big5hkscs"]
    if not decoded:
        raise unreadable(_("The file's text encoding is not UTF-8, Big5 or GB18030. Save it as “CSV UTF-8”."))
    if len(decoded) == 1:
        return decoded[0][0], decoded[0][1]
    scores = {label: _recognised(text) for text, label, _codec in decoded}
    best = max(scores.values())
    contenders = [d for d in decoded if scores[d[1]] == best]
    if len(contenders) > 1:
        from charset_normalizer import from_bytes

        guess = from_bytes(content[:65536], cp_isolation=[c for _t, _l, c in contenders]).best()
        named = guess.encoding.replace("_", "") if guess else ""
        for contender in contenders:
            if contender[2].replace("_", "") == named:
                return contender[0], contender[1]
    return contenders[0][0], contenders[0][1]


def _first_line(text: str) -> str:
    return next((line for line in text.splitlines() if line.strip()), "")


def _recognised(text: str) -> int:
    line = _first_line(text)
    return max(len(guess_mapping(line.split(d))) for d in _DELIMITERS)


def _delimiter(text: str) -> str:
    """csv.Sniffer's guess, unless another delimiter splits the header into more known names."""
    sample = "\n".join(text.splitlines()[:50])
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    header = _first_line(text)
    candidates = ([sniffed] if sniffed else []) + [d for d in _DELIMITERS if d != sniffed]

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=d), [])
        return len(guess_mapping(cells)), len(cells)

    best = max(candidates, key=lambda d: (score(d), d == sniffed))
    if score(best)[1] <= 1 and sniffed:
        return sniffed
    return best


def _read_csv(content: bytes, limit: int | None) -> Table:
    text, encoding = decode(content)
    delimiter = _delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return _table(([c.strip() for c in row] for row in reader), limit, encoding=encoding, delimiter=delimiter)
    except csv.Error as exc:
        raise unreadable(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
