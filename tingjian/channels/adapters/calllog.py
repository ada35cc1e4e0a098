"""Call-centre logs (channel kind ``calllog``): each call in an uploaded file becomes a message.

There is no webhook: ``channels.calls`` reads the file, checks every row and stores each good
one as an InboundEvent whose payload is the row's mapped fields as JSON (the call id is the
event's platform id, so a second import of the same file stores nothing new). This adapter
turns one stored row into a customer message on the ``phone`` channel, in the ingest task.

The value readers (call time, duration, direction) live here, beside ``parse``, so the dry
run in ``channels.calls`` accepts exactly what the ingest will read.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from .base import (
    Adapter,
    ChannelConfig,
    Contact,
    CustomerMessage,
    IncomingEvent,
    MalformedPayload,
    ParsedEvent,
)

# Words call-centre systems use for the two directions (zh-Hant, zh-Hans, English).
INBOUND_WORDS = frozenset({"in", "inbound", "incoming", "來電", "来电", "進線", "进线", "呼入", "撥入", "拨入", "入"})
OUTBOUND_WORDS = frozenset({"out", "outbound", "outgoing", "去電", "去电", "外撥", "外拨", "呼出", "撥出", "拨出", "回撥", "回拨", "出"})

_MERIDIEM = {"上午": "am", "下午": "pm", "早上": "am", "晚上": "pm", "中午": "pm", "am": "am", "pm": "pm", "a.m.": "am", "p.m.": "pm"}
_DATE_ONLY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:\.\d+)?$")
_UNITS = re.compile(
    r"(\d+(?:\.\d+)?)\s*(小時|小时|時|时|hours?|hrs|hr|h|分鐘|分钟|分|minutes?|mins|min|m|秒|seconds?|secs|sec|s)(?![a-z])",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"小時": 3600, "小时": 3600, "時": 3600, "时": 3600, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
                 "分鐘": 60, "分钟": 60, "分": 60, "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _plain_text(value: str) -> str:
    # Full-width digits and colons (２０２６／１１／２０) read like their ASCII forms.
    return unicodedata.normalize("NFKC", value).strip()


def parse_call_time(value: Any, *, tz: tzinfo | None = None) -> datetime:
    """A call's time from a cell or text; without an offset it is the project's local time
    (``settings.TIME_ZONE``). Raises ValueError."""
    moment = read_call_time(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, tz or timezone.get_default_timezone())
    return moment


def read_call_time(value: Any) -> datetime:
    """A call's time as the file wrote it: with its offset when it had one, naive otherwise.

    Reads date cells, ISO 8601 and the year-first forms spreadsheets write
    (``2026/11/20 14:05``, ``2026年11月20日 下午 2:05``, ``2026.11.20 14:05:33``); a date alone
    is midnight. Day-first and month-first dates are refused rather than guessed, since
    03/04 cannot be told apart. Raises ValueError.
    """
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        # An Excel date serial in a cell not formatted as a date.
        moment = _EXCEL_EPOCH + timedelta(days=float(value))
        moment = moment.replace(microsecond=0)
    elif isinstance(value, str):
        moment = _parse_time_text(value)
    if moment is None:
        raise ValueError("unparseable call time")
    return moment


def _parse_time_text(raw: str) -> datetime | None:
    text = _plain_text(raw)
    if not text:
        return None
    meridiem = ""
    for word, half in _MERIDIEM.items():
        found = re.search(re.escape(word), text, re.IGNORECASE)
        if found:
            meridiem = half
            text = text[: found.start()] + " " + text[found.end():]
    text = text.replace("年", "-").replace("月", "-").replace("日", " ").replace("号", " ").replace("號", " ")
    text = re.sub(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})", r"\1-\2-\3", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2}) ?(?=\d{1,2}:)", r"\1 ", text)
    text = re.sub(r"^(\d{4}-\d{1,2}-\d{1,2})-$", r"\1", text)
    found = _DATE_ONLY.match(text)
    if found:
        try:
            return datetime(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            return None
    try:
        moment = parse_datetime(text)
    except ValueError:  # well formed but impossible, e.g. 2026-02-30
        return None
    if moment is None:
        return None
    if meridiem == "pm" and moment.hour < 12:
        moment = moment.replace(hour=moment.hour + 12)
    elif meridiem == "am" and moment.hour == 12:
        moment = moment.replace(hour=0)
    return moment


def parse_duration(value: Any) -> int | None:
    """Seconds, from a number, ``m:ss``, ``h:mm:ss``, ``3分25秒``, ``2m5s``…; None when empty.

    Raises ValueError for anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("negative duration")
        return int(round(value))
    text = _plain_text(str(value)).lower()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(round(float(text)))
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = int(clock[1] or 0), int(clock[2]), int(clock[3])
        return hours * 3600 + minutes * 60 + seconds
    parts = _UNITS.findall(text)
    if parts and not _UNITS.sub("", text).strip():
        return int(round(sum(float(n) * _UNIT_SECONDS.get(unit.lower(), 1) for n, unit in parts)))
    raise ValueError("not a duration")


def parse_direction(value: Any) -> str:
    """``in`` or ``out`` from the words call-centre systems use; "" when empty. Raises ValueError."""
    text = _plain_text(str(value or "")).lower()
    if not text:
        return ""
    if text in INBOUND_WORDS:
        return "in"
    if text in OUTBOUND_WORDS:
        return "out"
    raise ValueError("unknown direction")


def format_duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def header_line(row: dict[str, Any]) -> str:
    """The short line above the summary: direction, agent, duration (whatever the file had).

    Written in the company's language (``LANGUAGE_CODE``), not the worker's: it is stored.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _header_parts(row)


def _header_parts(row: dict[str, Any]) -> str:
    parts = []
    direction = row.get("direction") or ""
    if direction == "out":
        parts.append(_("Outgoing call"))
    elif direction == "in":
        parts.append(_("Incoming call"))
    else:
        parts.append(_("Phone call"))
    if row.get("agent"):
        parts.append(_("agent %(name)s") % {"name": row["agent"]})
    if row.get("duration") not in (None, ""):
        parts.append(_("duration %(duration)s") % {"duration": format_duration(int(row["duration"]))})
    return "[" + " · ".join(parts) + "]"


class CallLogAdapter(Adapter):
    kind = "calllog"
    label = "Call-centre log"
    has_webhook = False

    def parse(self, channel: ChannelConfig, event: IncomingEvent) -> list[ParsedEvent]:
        try:
            row: dict[str, Any] = json.loads(event.payload)
            call_id = str(row["call_id"]).strip()
            phone = str(row["phone"]).strip()
            summary = str(row["summary"]).strip()
            sent_at = parse_call_time(row["called_at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedPayload(f"stored call row is not readable: {type(exc).__name__}") from exc
        if not (call_id and phone and summary):
            raise MalformedPayload("stored call row lacks a call id, a phone number or a summary")
        email = str(row.get("email") or "").strip()
        contact = Contact(
            kind="phone", handle=phone, display_name=str(row.get("customer_name") or "").strip(),
            given=(("email", email),) if email else (),
        )
        fields = {key: row[key] for key in ("branch", "category", "product") if row.get(key)}
        return [
            CustomerMessage(
                external_id=f"call:{channel.name}:{call_id}", contact=contact,
                text=f"{header_line(row)}\n{summary}", sent_at=sent_at, channel="phone",
                # The case's subject is what the customer said, not the header line.
                subject=summary, fields=fields,
            )
        ]


ADAPTER = CallLogAdapter()
