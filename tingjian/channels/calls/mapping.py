"""Which column of a call log holds which of our fields.

Our fields and their labels, the header names call-centre systems and people write (zh-Hant,
zh-Hans and English), ``guess_mapping`` (the mapping proposed for a new file) and
``validate_mapping`` (a chosen mapping checked against the file's headers).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
