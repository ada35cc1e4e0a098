"""Importing call-centre logs: a CSV or XLSX file of calls → one inbound message per call.

Responsible for: reading the file (CSV in UTF-8, Big5 or GB18030 with any delimiter, or
XLSX), proposing which column holds which of our fields, the dry run (``check``: every row
validated, every bad row kept with its reason in plain words, rows imported before counted)
and the import (``run``: each good row stored once through ``services.receive`` with the
call id as its platform id, and filed at once through ``pipeline.ingest``), with progress
on the CallImport row, and who may do it.

Must never: let one broken row stop the others; store or file a call twice (a second
import of the same file changes nothing); do the slow part in a web request (``check``
and ``run`` run in tasks, by id: ``channels.tasks``); write a row's content to the log or
the audit trail.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.customers.handles import normalise_email, normalise_phone
from tingjian.org import selectors as org

from . import pipeline, services
from .adapters.base import Accepted, IncomingEvent
from .adapters.calllog import parse_call_time, parse_direction, parse_duration, read_call_time
from .models import CallImport, Channel, EventStatus, ImportStatus, InboundEvent, Kind

logger = logging.getLogger(__name__)

# Our fields, in the order the mapping form shows them.
FIELDS = (
    "call_id", "called_at", "phone", "summary", "customer_name", "email", "agent", "duration",
    "direction", "branch", "category", "product",
)
REQUIRED = ("call_id", "called_at", "phone", "summary")
FIELD_LABELS: dict[str, Any] = {
    "call_id": gettext_lazy("Call ID"),
    "called_at": gettext_lazy("Call time"),
    "phone": gettext_lazy("Caller's phone"),
    "summary": gettext_lazy("Call summary"),
    "customer_name": gettext_lazy("Customer name"),
    "email": gettext_lazy("Email"),
    "agent": gettext_lazy("Agent"),
    "duration": gettext_lazy("Duration"),
    "direction": gettext_lazy("Direction (incoming / outgoing)"),
    "branch": gettext_lazy("Branch code"),
    "category": gettext_lazy("Category code"),
    "product": gettext_lazy("Product code"),
}
# Header names call-centre systems and people write, zh-Hant, zh-Hans and English; earlier
# names win when two columns both fit.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "call_id": ("通話編號", "通话编号", "call id", "callid", "call no", "call number", "通話id", "通话id",
                "來電編號", "来电编号", "通話序號", "通话序号", "話單編號", "话单编号", "紀錄編號", "记录编号",
                "record id", "id", "編號", "编号", "序號", "序号"),
    "called_at": ("來電時間", "来电时间", "通話時間", "通话时间", "call time", "called at", "開始時間", "开始时间",
                  "通話開始時間", "通话开始时间", "start time", "call date", "日期時間", "日期时间", "datetime",
                  "date time", "timestamp", "時間", "时间", "日期", "date", "time"),
    "phone": ("來電號碼", "来电号码", "電話", "电话", "電話號碼", "电话号码", "客戶電話", "客户电话", "聯絡電話",
              "联系电话", "手機", "手机", "主叫號碼", "主叫号码", "phone", "phone number", "caller", "caller number",
              "caller id", "mobile", "telephone", "tel", "ani", "號碼", "号码"),
    "summary": ("摘要", "通話摘要", "通话摘要", "通話內容", "通话内容", "內容", "内容", "問題描述", "问题描述",
                "客訴內容", "客诉内容", "反映內容", "反映内容", "summary", "call summary", "description", "details",
                "描述", "備註", "备注", "notes", "remarks", "comment", "comments"),
    "customer_name": ("客戶姓名", "客户姓名", "顧客姓名", "顾客姓名", "姓名", "來電者", "来电者", "客戶名稱",
                      "客户名称", "customer name", "caller name", "customer", "name", "客戶", "客户", "顧客", "顾客"),
    "email": ("電子郵件", "电子邮件", "電子信箱", "电子信箱", "email", "e-mail", "mail", "信箱", "邮箱", "電郵", "电邮"),
    "agent": ("客服人員", "客服人员", "接聽人員", "接听人员", "客服專員", "客服专员", "坐席", "座席", "專員", "专员",
              "agent", "agent name", "operator", "handled by", "客服", "處理人員", "处理人员"),
    "duration": ("通話時長", "通话时长", "通話秒數", "通话秒数", "通話長度", "通话长度", "時長", "时长", "duration",
                 "talk time", "call duration", "length", "seconds", "秒數", "秒数"),
    "direction": ("方向", "通話方向", "通话方向", "呼叫方向", "來電/去電", "来电/去电", "進線/外撥", "进线/外拨",
                  "呼叫類型", "呼叫类型", "direction", "call direction", "call type", "inbound/outbound"),
    "branch": ("分店代碼", "分店代码", "門市代碼", "门店代码", "分店", "門市", "门店", "branch code", "branch",
               "store code", "store", "shop"),
    "category": ("類別代碼", "类别代码", "分類代碼", "分类代码", "類別", "类别", "分類", "分类", "問題類別", "问题类别",
                 "category code", "category", "issue type"),
    "product": ("產品代碼", "产品代码", "商品代碼", "商品代码", "產品", "产品", "商品", "product code", "product",
                "sku", "item"),
}
MAX_CALL_ID = 200
# How many of the file's first rows the mapping page shows.
SAMPLE_ROWS = 3
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
PERM_IMPORT = "cases.add_case"
PERM_SEE_ALL = "cases.view_all_cases"
# A call time further ahead than this is a typo, not a call.
FUTURE_SLACK = timedelta(hours=1)
PROGRESS_EVERY_SECONDS = 0.5

Progress = Callable[[int, int], None]


def max_upload_bytes() -> int:
    return int(getattr(settings, "TINGJIAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# --- who may ------------------------------------------------------------------------------


def may_import(user: Any) -> bool:
    """Importing opens cases, so it takes the right to open cases (agents, managers, admins)."""
    return bool(user is not None and user.is_authenticated and user.has_perm(PERM_IMPORT))


def ensure_may_import(by: Any | None) -> None:
    # by=None is the console (`tingjian import calls` without --as), trusted like the
    # other management commands.
    if by is not None and not may_import(by):
        raise PermissionDenied(_("You may not import calls: an import opens cases."))


def visible_imports(by: Any | None) -> QuerySet[CallImport]:
    """The imports a person may see: their own; all of them for those who see every case."""
    ensure_may_import(by)
    imports = CallImport.objects.select_related("channel", "uploaded_by")
    if by is not None and not by.has_perm(PERM_SEE_ALL):
        imports = imports.filter(uploaded_by=by)
    return imports


def get_import(pk: int, *, by: Any | None) -> CallImport:
    """One import the person may see; CallImport.DoesNotExist otherwise (a 404, not a 403)."""
    return visible_imports(by).get(pk=pk)


def import_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(kind=Kind.CALLLOG, is_active=True).order_by("display_name")


# --- reading files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A file's header row and its data rows, each with the row number a spreadsheet shows."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""


def _unreadable(message: str) -> ValidationError:
    return ValidationError({"file": message})


def file_format(content: bytes) -> str:
    """``xlsx`` or ``csv``, from the bytes (a renamed file is still read right)."""
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise _unreadable(_("This is an old Excel file (.xls). Save it as .xlsx or CSV and upload that."))
    if b"\x00" in content[:4096] and not content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _unreadable(_("This file is neither CSV nor XLSX."))
    return "csv"


def read_table(content: bytes, fmt: str, *, limit: int | None = None) -> Table:
    """The file's table; ``limit`` data rows at most (the mapping page needs only a few)."""
    table = _read_xlsx(content, limit) if fmt == "xlsx" else _read_csv(content, limit)
    if not table.headers:
        raise _unreadable(_("The file is empty: there is no header row."))
    return table


def _cell_text(value: Any) -> str:
    """A cell as text: Excel's 1001.0 is "1001", a date is ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


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
        name = " ".join(_cell_text(cell).split()) or f"Column {_column_name(i)}"
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
    return all(_cell_text(c) == "" for c in cells)


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
        raise _unreadable(_("This XLSX file cannot be opened (%(error)s).") % {"error": type(exc).__name__}) from exc
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
                raise _unreadable(_("The file says it is %(encoding)s but is not.") % {"encoding": label}) from exc
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
        raise _unreadable(_("The file's text encoding is not UTF-8, Big5 or GB18030. Save it as “CSV UTF-8”."))
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
        raise _unreadable(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc


# --- the mapping --------------------------------------------------------------------------


def _squash(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    return re.sub(r"[\s_\-./:()#*\[\]（）：＃]+", "", text)


_SQUASHED = {f: [_squash(n) for n in names] for f, names in HEADER_NAMES.items()}


def guess_mapping(headers: Iterable[str]) -> dict[str, str]:
    """Our field → the header that most likely holds it, for the headers we recognise.

    An exact name wins over a name inside a longer header ("客戶電話" holds "電話"); each
    header is used once, required fields first when two fields want the same header.
    """
    header_list = [h for h in headers if str(h).strip()]
    candidates: list[tuple[tuple[int, ...], str, str]] = []
    for header in header_list:
        squashed = _squash(header)
        if not squashed:
            continue
        for name, aliases in _SQUASHED.items():
            required = int(name in REQUIRED)
            if squashed in aliases:
                candidates.append(((1, required, -aliases.index(squashed)), name, header))
                continue
            # A name inside a longer header; the longest (most specific) name wins. Short
            # Latin names ("id", "tel") only count when they are the whole header.
            inside = [(len(a), -i) for i, a in enumerate(aliases) if a in squashed and len(a) >= 2 and (len(a) >= 4 or not a.isascii())]
            if inside:
                length, order = max(inside)
                candidates.append(((0, length, required, order), name, header))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for _score, name, header in sorted(candidates, key=lambda c: c[0], reverse=True):
        if name not in mapping and header not in used:
            mapping[name] = header
            used.add(header)
    return {name: mapping[name] for name in FIELDS if name in mapping}


def validate_mapping(mapping: Mapping[str, str], headers: Iterable[str]) -> dict[str, str]:
    """The mapping cleaned (empty choices dropped), or ValidationError keyed by field."""
    known = set(headers)
    errors: dict[str, str] = {}
    clean = {k: str(v) for k, v in mapping.items() if v}
    for key in clean:
        if key not in FIELDS:
            errors[key] = _("Unknown field.")
    for key, header in clean.items():
        if key in FIELDS and header not in known:
            errors[key] = _("The file has no column “%(header)s”.") % {"header": header}
    for key in REQUIRED:
        if key not in clean:
            errors[key] = _("Required: choose the column that holds it.")
    seen: dict[str, str] = {}
    for key in FIELDS:
        chosen = clean.get(key)
        if chosen is None:
            continue
        if chosen in seen:
            errors[key] = _("Column “%(header)s” is already chosen for %(other)s.") % {
                "header": chosen, "other": FIELD_LABELS[seen[chosen]],
            }
        else:
            seen[chosen] = key
    if errors:
        raise ValidationError(errors)
    return {k: clean[k] for k in FIELDS if k in clean}


# --- checking rows ------------------------------------------------------------------------


@dataclass
class _Lookups:
    """Branch, category and product codes (and names), read once per file."""

    branches: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    products: dict[str, str] = field(default_factory=dict)


def _keys(obj: Any) -> list[str]:
    return [k.casefold() for k in (obj.code, obj.name_zh_hant, obj.name_zh_hans, obj.name_en) if k]


def _lookups() -> _Lookups:
    found = _Lookups()
    for branch in org.active_branches():
        found.branches.update({k: branch.code for k in _keys(branch)})
    for product in org.active_products():
        found.products.update({k: product.code for k in _keys(product)})
    for category in org.leaf_categories():
        found.categories.update({k: category.code for k in _keys(category)})
        if category.parent is not None:
            found.groups.update(_keys(category.parent))
    return found


def _short(value: Any, length: int = 60) -> str:
    """A value as a person reads it (a date cell as 2026-11-20 14:05), cut to length."""
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    text = " ".join(_cell_text(value).split())
    return text if len(text) <= length else text[: length - 1] + "…"


@dataclass
class _Checked:
    payload: dict[str, Any] | None
    problems: list[tuple[str, dict[str, Any]]]


PHONE_CHARACTERS = re.compile(r"^[\d\s+\-().#*,/]*(?:(?:ext\.?|x|分機|分机|轉|转)\s*\d+)?$", re.IGNORECASE)


def _check_row(values: Mapping[str, Any], lookups: _Lookups, *, now: Any) -> _Checked:
    """One row's values (our field → the cell) → the payload to store, or every problem."""
    problems: list[tuple[str, dict[str, Any]]] = []
    text = {k: _cell_text(v) for k, v in values.items()}
    payload: dict[str, Any] = {}

    call_id = text.get("call_id", "")
    if not call_id:
        problems.append((N_("Call ID is missing."), {}))
    elif len(call_id) > MAX_CALL_ID:
        problems.append((N_("Call ID is longer than %(max)s characters."), {"max": MAX_CALL_ID}))
    payload["call_id"] = call_id

    raw_time = values.get("called_at")
    if not text.get("called_at"):
        problems.append((N_("Call time is missing."), {}))
    else:
        try:
            moment = read_call_time(raw_time)
        except ValueError:
            problems.append((N_("Call time “%(value)s” cannot be read; write it like 2026-11-20 14:05."), {"value": _short(raw_time)}))
        else:
            if parse_call_time(moment) > now + FUTURE_SLACK:
                problems.append((N_("Call time %(value)s is in the future."), {"value": _short(raw_time)}))
            payload["called_at"] = moment.isoformat()

    phone = text.get("phone", "")
    if not phone:
        problems.append((N_("Phone number is missing."), {}))
    else:
        try:
            if not PHONE_CHARACTERS.match(unicodedata.normalize("NFKC", phone)):
                raise ValidationError("letters")
            payload["phone"] = normalise_phone(unicodedata.normalize("NFKC", phone))
        except ValidationError:
            problems.append((N_("Phone number “%(value)s” is not a valid phone number."), {"value": _short(phone)}))

    summary = _cell_text(values.get("summary")).replace("\r\n", "\n").replace("\r", "\n")
    if not summary:
        problems.append((N_("Summary is empty."), {}))
    payload["summary"] = summary

    payload["customer_name"] = _short(text.get("customer_name", ""), 200)
    payload["agent"] = _short(text.get("agent", ""), 100)
    email = text.get("email", "")
    if email:
        try:
            payload["email"] = normalise_email(email)
        except ValidationError:
            problems.append((N_("Email “%(value)s” is not a valid address."), {"value": _short(email)}))
    try:
        payload["duration"] = parse_duration(values.get("duration"))
    except ValueError:
        problems.append((N_("Duration “%(value)s” cannot be read; write seconds or minutes:seconds."), {"value": _short(values.get("duration"))}))
    try:
        payload["direction"] = parse_direction(values.get("direction"))
    except ValueError:
        problems.append((N_("Direction “%(value)s” is neither incoming nor outgoing."), {"value": _short(values.get("direction"))}))

    for key, table, message in (
        ("branch", lookups.branches, N_("Unknown branch code “%(value)s”.")),
        ("category", lookups.categories, N_("Unknown category code “%(value)s”.")),
        ("product", lookups.products, N_("Unknown product code “%(value)s”.")),
    ):
        code = text.get(key, "")
        if not code:
            continue
        if code.casefold() in table:
            payload[key] = table[code.casefold()]
        elif key == "category" and code.casefold() in lookups.groups:
            problems.append((N_("“%(value)s” is a group of categories; use one of its categories."), {"value": _short(code)}))
        else:
            problems.append((message, {"value": _short(code)}))
    return _Checked(None if problems else payload, problems)


def _bad(row: int, call_id: str, problems: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    # The English text is kept for the console and the record; the message ids and their
    # values let the page show it in the reader's language.
    return {
        "row": row, "call_id": call_id[:MAX_CALL_ID],
        "reason": " ".join(msg % params for msg, params in problems),
        "problems": [{"msg": msg, "params": params} for msg, params in problems],
    }


def describe(item: Mapping[str, Any]) -> str:
    """A stored bad row's reason in the active language."""
    problems = item.get("problems") or []
    if not problems:
        return str(item.get("reason", ""))
    return " ".join(_(p["msg"]) % p.get("params", {}) for p in problems)


def _existing(channel: Channel, call_ids: Iterable[str]) -> dict[str, tuple[int, str, Any]]:
    """Call id → (event id, status, the import that stored it) for calls stored before."""
    ids = sorted({c for c in call_ids if c})
    found: dict[str, tuple[int, str, Any]] = {}
    for start in range(0, len(ids), 500):
        for pk, external_id, status, meta in InboundEvent.objects.filter(
            channel=channel, external_id__in=ids[start : start + 500]
        ).values_list("pk", "external_id", "status", "meta"):
            found[external_id] = (pk, status, (meta or {}).get("import_id"))
    return found


# --- the import's life --------------------------------------------------------------------


def start_import(
    *, channel: Channel, name: str, content: bytes, by: Any | None, max_bytes: int | None = None,
) -> CallImport:
    """Keep an uploaded file as a new import, after making sure we can read it."""
    ensure_may_import(by)
    if channel.kind != Kind.CALLLOG or not channel.is_active:
        raise ValidationError({"channel": _("Choose an active call-centre channel.")})
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if limit and len(content) > limit:
        raise _unreadable(_("The file is larger than %(mb)s MB; split it and import the parts.") % {"mb": limit // (1024 * 1024)})
    fmt = file_format(content)
    table = read_table(content, fmt, limit=1)
    if not table.rows:
        raise _unreadable(_("The file has a header row but no calls under it."))
    with transaction.atomic():
        call_import = CallImport(
            channel=channel, uploaded_by=by, uploaded_at=clock.now(), original_name=(name or "calls")[:255],
            file_format=fmt, mapping=guess_mapping(table.headers),
        )
        # The stored name says nothing about its content; the original name is kept beside it.
        call_import.file.save(f"{uuid.uuid4().hex}.{fmt}", ContentFile(content), save=False)
        call_import.save()
        audit.record(
            "channel.calls_uploaded", actor=by, object_type="call_import", object_id=call_import.pk,
            summary=f"call log uploaded for channel {channel.name} ({fmt}, {len(content)} bytes)",
        )
    return call_import


def _content(call_import: CallImport) -> bytes:
    with call_import.file.open("rb") as handle:
        data: bytes = handle.read()
    return data


def table_of(call_import: CallImport, *, limit: int | None = None) -> Table:
    return read_table(_content(call_import), call_import.file_format, limit=limit)


@dataclass(frozen=True)
class Preview:
    headers: list[str]
    rows: list[list[str]]  # the first few data rows, as a person reads them
    encoding: str
    delimiter: str


def preview(call_import: CallImport) -> Preview:
    """The file's headers and its first rows, for the mapping form."""
    table = table_of(call_import, limit=SAMPLE_ROWS)
    rows = [[_short(cell, 40) for cell in cells] for _number, cells in table.rows]
    return Preview(table.headers, rows, table.encoding, table.delimiter)


CHANGEABLE = {ImportStatus.UPLOADED, ImportStatus.CHECKED, ImportStatus.FAILED}
RUNNING = {ImportStatus.CHECKING, ImportStatus.IMPORTING}


def _locked(call_import: CallImport, by: Any | None) -> CallImport:
    ensure_may_import(by)
    locked = CallImport.objects.select_for_update().get(pk=call_import.pk)
    if by is not None and not by.has_perm(PERM_SEE_ALL) and locked.uploaded_by_id != by.pk:
        raise PermissionDenied(_("This import is someone else's."))
    return locked


def _reset(call_import: CallImport, status: str) -> None:
    call_import.status = status
    call_import.processed_rows = call_import.good_rows = call_import.duplicate_rows = 0
    call_import.imported_rows = 0
    call_import.bad_rows = []
    call_import.error = ""
    call_import.finished_at = None


def set_mapping(call_import: CallImport, mapping: Mapping[str, str], *, by: Any | None) -> CallImport:
    """Say which column holds which field; a new mapping needs a new dry run."""
    headers = table_of(call_import, limit=1).headers
    clean = validate_mapping(mapping, headers)
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("This import is running or done; its mapping cannot change."))
        locked.mapping = clean
        _reset(locked, ImportStatus.UPLOADED)
        locked.save()
    return locked


def _enqueue(task_name: str, import_id: int) -> None:
    from . import tasks

    try:
        getattr(tasks, task_name).enqueue(import_id)
    except Exception:
        logger.exception("could not enqueue %s for call import %s", task_name, import_id)
        CallImport.objects.filter(pk=import_id, status__in=RUNNING).update(
            status=ImportStatus.FAILED, error=N_("The background worker could not be reached. Try again in a moment."),
            finished_at=clock.now(),
        )


def request_check(call_import: CallImport, *, by: Any | None, mapping: Mapping[str, str] | None = None) -> CallImport:
    """Start the dry run in a task (with a new mapping, when given)."""
    if mapping is not None:
        call_import = set_mapping(call_import, mapping, by=by)
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status not in CHANGEABLE:
            raise ValidationError(_("This import is already running or done."))
        validate_mapping(locked.mapping, locked.mapping.values())
        _reset(locked, ImportStatus.CHECKING)
        locked.save()
        transaction.on_commit(lambda: _enqueue("check_call_import", locked.pk))
    return locked


def request_run(call_import: CallImport, *, by: Any | None) -> CallImport:
    """Start the import of the checked file in a task."""
    with transaction.atomic():
        locked = _locked(call_import, by)
        if locked.status in RUNNING:
            raise ValidationError(_("This import is already running."))
        if locked.status == ImportStatus.DONE:
            raise ValidationError(_("This file has been imported already."))
        if locked.status != ImportStatus.CHECKED:
            raise ValidationError(_("Check the file first; only a checked file can be imported."))
        if not locked.good_rows:
            raise ValidationError(_("There is nothing new to import in this file."))
        locked.status = ImportStatus.IMPORTING
        locked.processed_rows = 0
        locked.save(update_fields=["status", "processed_rows"])
        audit.record(
            "channel.calls_import_started", actor=by, object_type="call_import", object_id=locked.pk,
            summary=f"import of {locked.good_rows} call(s) started",
        )
        transaction.on_commit(lambda: _enqueue("run_call_import", locked.pk))
    return locked


class _Meter:
    """Writes progress to the row now and then (not every row), and tells the console."""

    def __init__(self, call_import: CallImport, total: int, callback: Progress | None) -> None:
        self.pk, self.total, self.callback = call_import.pk, total, callback
        self.step = max(1, total // 100)
        self.written, self.at = 0, time.monotonic()

    def __call__(self, done: int) -> None:
        if self.callback is not None:
            self.callback(done, self.total)
        if done - self.written >= self.step or time.monotonic() - self.at >= PROGRESS_EVERY_SECONDS:
            CallImport.objects.filter(pk=self.pk).update(processed_rows=done)
            self.written, self.at = done, time.monotonic()


def _begin(call_import: CallImport, status: str) -> tuple[CallImport, Table]:
    call_import = CallImport.objects.select_related("channel").get(pk=call_import.pk)
    validate_mapping(call_import.mapping, call_import.mapping.values())
    _reset(call_import, status)
    call_import.save()
    table = table_of(call_import)
    call_import.total_rows = len(table.rows)
    call_import.save(update_fields=["total_rows"])
    return call_import, table


def _rows(call_import: CallImport, table: Table) -> Iterable[tuple[int, dict[str, Any]]]:
    index = {header: i for i, header in enumerate(table.headers)}
    mapping = call_import.mapping
    for number, cells in table.rows:
        yield number, {f: cells[index[h]] for f, h in mapping.items() if h in index}


def _finish(call_import: CallImport, status: str, **counts: Any) -> CallImport:
    for key, value in counts.items():
        setattr(call_import, key, value)
    call_import.status = status
    call_import.processed_rows = call_import.total_rows
    call_import.finished_at = clock.now()
    call_import.save()
    return call_import


def _failed(call_import: CallImport, exc: Exception) -> CallImport:
    logger.exception("call import %s failed", call_import.pk)
    if isinstance(exc, ValidationError):
        message = " ".join(exc.messages)
    else:
        # The details are in the log; the person is told what to do. What an interrupted
        # import stored is kept and is not imported twice when the file is run again.
        message = N_("Stopped by an unexpected error. Check the file again to go on; calls already imported are kept and skipped.")
    CallImport.objects.filter(pk=call_import.pk).update(
        status=ImportStatus.FAILED, error=message[:500], finished_at=clock.now()
    )
    call_import.refresh_from_db()
    return call_import


def check(call_import: CallImport, *, by: Any | None = None, progress: Progress | None = None) -> CallImport:
    """The dry run: every row validated, nothing stored. Safe to run again at any time."""
    return _process(call_import, by=by, progress=progress, write=False)


def run(call_import: CallImport, *, by: Any | None = None, progress: Progress | None = None) -> CallImport:
    """The import: each good row stored once and filed at once; a broken row is reported
    and the next one goes on. Running it again (a retried task, the same file twice) files
    nothing twice: the call id is the event's platform id."""
    done = _process(call_import, by=by, progress=progress, write=True)
    if done.status != ImportStatus.DONE:
        return done
    audit.record(
        "channel.calls_imported", actor=done.uploaded_by, object_type="call_import", object_id=done.pk,
        summary=f"{done.imported_rows} call(s) imported, {done.duplicate_rows} already there, {len(done.bad_rows)} bad row(s)",
    )
    if done.uploaded_by is not None:
        alerts.notify(
            [done.uploaded_by], kind="channel.calls_imported",
            verb=N_("Your import of %(file)s is done: %(n)s call(s) filed"),
            params={"file": done.original_name, "n": done.imported_rows}, url=f"/imports/{done.pk}/",
        )
    return done


def _process(call_import: CallImport, *, by: Any | None, progress: Progress | None, write: bool) -> CallImport:
    """Walk every row: validate it, and when ``write``, store and file the good new ones."""
    if by is not None:
        with transaction.atomic():
            _locked(call_import, by)
    try:
        call_import, table = _begin(call_import, ImportStatus.IMPORTING if write else ImportStatus.CHECKING)
        meter = _Meter(call_import, len(table.rows), progress)
        lookups, now, channel = _lookups(), clock.now(), call_import.channel
        rows = list(_rows(call_import, table))
        existing = _existing(channel, (_cell_text(v.get("call_id")) for _n, v in rows))
        first_seen: dict[str, int] = {}
        good = imported = duplicates = 0
        bad: list[dict[str, Any]] = []
        for done, (number, values) in enumerate(rows, start=1):
            checked = _check_row(values, lookups, now=now)
            call_id = _cell_text(values.get("call_id"))
            problems = checked.problems
            if call_id in first_seen:
                again = (N_("Call ID %(call_id)s appears again; it was first on row %(first)s."), {"call_id": _short(call_id), "first": first_seen[call_id]})
                problems = [again, *problems]
            elif call_id:
                first_seen[call_id] = number
            # A call this very import stored (a retried task) is finished, not skipped.
            earlier = existing.get(call_id)
            if problems or checked.payload is None:
                bad.append(_bad(number, call_id, problems))
            elif earlier is not None and not (write and earlier[2] == call_import.pk):
                duplicates += 1
            else:
                good += 1
                if write:
                    trouble = _store_and_file(call_import, channel, number, checked.payload)
                    if trouble:
                        bad.append(_bad(number, call_id, [trouble]))
                    else:
                        imported += 1
            meter(done)
        return _finish(
            call_import, ImportStatus.DONE if write else ImportStatus.CHECKED,
            good_rows=good, imported_rows=imported, duplicate_rows=duplicates, bad_rows=bad,
        )
    except Exception as exc:
        return _failed(call_import, exc)


def _store_and_file(call_import: CallImport, channel: Channel, number: int, payload: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """Store one call and file it; the problem (message id, values) when it did not work."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    try:
        ((event, _created),) = services.receive(
            channel,
            Accepted(events=[IncomingEvent(external_id=payload["call_id"], payload=body, meta={"import_id": call_import.pk, "row": number})]),
            enqueue=False,  # filed right below, so the progress bar counts filed calls
        )
    except Exception as exc:  # one row's trouble must not stop the file
        logger.warning("call import %s: row %s could not be stored: %s", call_import.pk, number, type(exc).__name__)
        return N_("Could not be stored (%(error)s)."), {"error": type(exc).__name__}
    if event.status in {EventStatus.RECEIVED, EventStatus.RETRYING}:
        pipeline.ingest(event.pk)
        event.refresh_from_db(fields=["status"])
    if event.status != EventStatus.FILED:
        return N_("Stored, but not filed yet (%(status)s); Tingjian tries again by itself."), {"status": event.status}
    return None


def perform_check(import_id: int) -> str:
    """The check task's body: only an import waiting for its check is checked."""
    call_import = CallImport.objects.filter(pk=import_id).first()
    if call_import is None:
        return "no such import"
    if call_import.status != ImportStatus.CHECKING:
        return f"not waiting for a check ({call_import.status})"
    done = check(call_import)
    return f"{done.status}: {done.good_rows} good, {done.duplicate_rows} already imported, {len(done.bad_rows)} bad"


def perform_run(import_id: int) -> str:
    """The import task's body: only an import asked for (or interrupted) is run."""
    call_import = CallImport.objects.filter(pk=import_id).first()
    if call_import is None:
        return "no such import"
    if call_import.status != ImportStatus.IMPORTING:
        return f"not waiting to import ({call_import.status})"
    done = run(call_import)
    return f"{done.status}: {done.imported_rows} imported, {done.duplicate_rows} already there, {len(done.bad_rows)} bad"


def imported_cases(call_import: CallImport, *, limit: int = 50) -> list[Any]:
    """The cases this import's calls were filed into, in file order, each once."""
    events = (
        InboundEvent.objects.filter(channel_id=call_import.channel_id, meta__import_id=call_import.pk, case__isnull=False)
        .select_related("case__customer").order_by("pk")
    )
    cases: dict[int, Any] = {}
    for event in events.iterator():
        if event.case is not None:
            cases.setdefault(event.case.pk, event.case)
        if len(cases) >= limit:
            break
    return list(cases.values())
