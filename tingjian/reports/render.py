"""A report's snapshot made readable: the HTML document (for email and the PDF), the PDF
(WeasyPrint), the plain-text email body, and the context the in-app page shows.

Responsible for: charts (server-side SVG from ``insights.charts``), formatting, and links —
absolute in the email and the PDF (they leave the app), relative in the app. Must never:
query cases or KPIs (it reads the snapshot only), or run inside a web request except for the
explicit preview page, which renders HTML only (a PDF takes a second or more).
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tingjian.alerts.services import absolute_url
from tingjian.insights import charts
from tingjian.insights.tables import Column, Table

from . import compose

logger = logging.getLogger(__name__)

# The families WeasyPrint needs for Chinese; fonts-noto-cjk (Debian) provides them.
CJK_FAMILIES = ("Noto Sans CJK TC", "Noto Sans CJK SC")
# Tables a report offers for download; each one's rows come from the snapshot.
TABLES = ("kpis", "categories", "root_causes", "movers", "notable", "crises", "topics")


@functools.cache
def cjk_font_families() -> tuple[str, ...]:
    """The CJK font families fontconfig knows (empty when none, or no fontconfig)."""
    binary = shutil.which("fc-list")
    if binary is None:
        return ()
    try:
        out = subprocess.run(  # noqa: S603 -- a fixed command, no user input
            [binary, ":lang=zh", "family"], capture_output=True, text=True, timeout=10, check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted({name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}))


def has_cjk_font() -> bool:
    return any(family in cjk_font_families() for family in CJK_FAMILIES)


def _change_class(row: dict[str, Any]) -> str:
    change = row.get("change")
    if change is None or change == 0:
        return ""
    better_when_higher = row.get("direction") == "at_least"
    return "better" if (change > 0) == better_when_higher else "worse"


def _link_maker(absolute: bool) -> Callable[[str], str]:
    def link(url: str) -> str:
        if not url:
            return ""
        return absolute_url(url) if absolute else url

    return link


def _short_day(iso: str) -> str:
    return iso[5:] if len(iso) == 10 else iso  # "2026-11-16" → "11-16"


def context(data: dict[str, Any], *, absolute: bool) -> dict[str, Any]:
    """What the report templates show. Call inside ``translation.override(data["language"])``."""
    link = _link_maker(absolute)
    kpis = []
    for row in data.get("kpis", []):
        kpis.append({
            **row,
            "change_text": charts.format_value(None) if row.get("change") is None
            else _signed_percent(row["change"]),
            "change_class": _change_class(row),
            "spark": charts.sparkline(row["spark"], label=row.get("label", ""))
            if any(v is not None for v in row.get("spark") or []) else "",
            "link": link(row.get("drill_url", "")),
        })
    trend = data.get("trend") or {}
    lines = [(_("This period"), [(_short_day(d), v) for d, v in trend.get("current", [])])]
    for key, name in (("previous", _("Previous period")), ("last_year", _("Same period last year"))):
        points = [(_short_day(d), v) for d, v in trend.get(key, [])]
        # A comparison with nothing in it is a period before the data began: no line at zero.
        if any(v for _d, v in points):
            lines.append((name, points))
    trend_chart = charts.line_chart(
        lines, title=trend.get("label", ""), unit=trend.get("unit", "count"), width=680,
    )
    categories = data.get("categories") or {"rows": []}
    root_causes = data.get("root_causes") or {"rows": []}
    heatmap = data.get("heatmap") or {}
    hrefs = [[link(h) if h else None for h in row] for row in heatmap.get("hrefs", [])]
    notable = data.get("notable") or {}
    sections = [
        (key, title, notable.get(key) or {"count": 0, "rows": []})
        for key, title in (
            ("safety", _("Personal-safety cases")), ("breaches", _("SLA breaches")),
            ("overrides", _("Overrides")), ("high_risk", _("High viral risk")),
        )
    ]
    return {
        "data": data,
        "title": compose.title(data),
        "narrative": data.get("narrative", []),
        "kpis": kpis,
        "trend_chart": trend_chart,
        "category_chart": _pareto(categories, _("Top categories"), link),
        "categories": _rows_with_links(categories, link),
        "root_cause_chart": _pareto(root_causes, _("Top root causes"), link),
        "root_causes": _rows_with_links(root_causes, link),
        "heatmap_chart": "" if not heatmap.get("total") else charts.heatmap_chart(
            compose.weekday_names(), [str(h) for h in range(24)], heatmap.get("counts", []),
            hrefs=hrefs or None, title=_("Cases by weekday and hour"), width=680, show_title=False,
        ),
        "movers": [
            {**m, "change_text": _signed_percent(m["change"]) if m.get("change") is not None else _("new"),
             "link": link(m.get("drill_url", ""))}
            for m in (data.get("movers") or {}).get("rows", [])
        ],
        "movers_by": (data.get("movers") or {}).get("by", "branch"),
        "notable_sections": [
            (key, title, info.get("count", 0), [{**r, "link": link(r.get("url", ""))} for r in info.get("rows", [])])
            for key, title, info in sections
        ],
        "topics": [{**t, "link": link(t.get("url", ""))} for t in data.get("topics", [])],
        "topics_missing": "topics" in data.get("missing", []),
        "crises": [{**c, "link": link(c.get("url", ""))} for c in data.get("crises", [])],
        "category_label": pgettext("report", "Category"),
        "root_cause_label": pgettext("report", "Root cause"),
        "absolute": absolute,
        "font_family": charts.FONT_FAMILY,
    }


def _signed_percent(change: float) -> str:
    from .narrative import percent_change

    return percent_change(change)


def _rows_with_links(table: dict[str, Any], link: Callable[[str], str]) -> list[dict[str, Any]]:
    return [
        {**row, "link": link(row.get("drill_url", "")),
         "share_text": f"{round(row['share'] * 100)} %" if row.get("share") is not None else "—",
         "change_text": _signed_percent(row["change"]) if row.get("change") is not None else "—"}
        for row in table.get("rows", [])
    ]


def _pareto(table: dict[str, Any], title: str, link: Callable[[str], str]) -> str:
    # Under a bar the last part of "餐點品質 › 異物" is enough; the table below has it whole.
    bars = [
        (str(row.get("label", "")).split(" › ")[-1], float(row.get("count") or 0),
         link(row.get("drill_url", "")) or None)
        for row in table.get("rows", [])
    ]
    if not any(value > 0 for _label, value, _href in bars):
        return ""  # the page says "no cases" in words; an empty frame would only take space
    return charts.bar_chart(bars, cumulative=True, title=title, width=680, show_title=False)


def html(data: dict[str, Any]) -> str:
    """The standalone document sent by email and printed to PDF (absolute links)."""
    with translation.override(data.get("language") or settings.LANGUAGE_CODE):
        return render_to_string("reports/document.html", context(data, absolute=True))


def text(data: dict[str, Any], *, url: str = "") -> str:
    """The plain-text email body: the narrative, the KPI table and a link to the report."""
    with translation.override(data.get("language") or settings.LANGUAGE_CODE):
        return render_to_string("reports/email.txt", {**context(data, absolute=True), "url": url})


def pdf(document: str) -> bytes:
    """The PDF of ``document`` (from ``html``). Without a CJK font it still renders, with
    Chinese drawn as missing glyphs, and says so in the log."""
    if not has_cjk_font():
        logger.warning(
            "no CJK font is installed (install fonts-noto-cjk): Chinese text in report PDFs will not render",
        )
    from weasyprint import HTML

    return HTML(string=document, base_url=settings.TINGJIAN_PUBLIC_URL).write_pdf()


def table(data: dict[str, Any], name: str) -> Table | None:
    """One of the report's tables rebuilt from the snapshot, for CSV/XLSX export."""
    with translation.override(data.get("language") or settings.LANGUAGE_CODE):
        stem = f"report-{data.get('cadence', '')}-{data.get('period', {}).get('start', '')}-{name.replace('_', '-')}"
        if name in ("categories", "root_causes"):
            stored = data.get(name)
            if not stored:
                return None
            columns = [Column(c["key"], c["label"], c["kind"]) for c in stored["columns"]]
            return Table(name=stem, title=stored["title"], columns=columns, rows=list(stored["rows"]))
        if name == "kpis":
            return Table(stem, _("KPIs"), [
                Column("label", _("KPI")), Column("display", _("This period")),
                Column("previous_display", _("Previous period")), Column("change", _("Change"), "percent"),
                Column("target_display", _("Target")), Column("met", _("Met")), Column("note", _("Note")),
            ], [{**row, "met": _met_text(row.get("met"))} for row in data.get("kpis", [])])
        if name == "movers":
            return Table(stem, _("Top movers"), [
                Column("label", _("Name")), Column("count", _("Cases"), "int"),
                Column("previous", _("Previous period"), "int"), Column("change", _("Change"), "percent"),
                Column("driver_label", _("Driven by")), Column("driver_change", _("Rise"), "int"),
            ], list((data.get("movers") or {}).get("rows", [])))
        if name == "notable":
            rows = []
            titles = {"safety": _("Personal safety"), "breaches": _("SLA breach"), "overrides": _("Override"),
                      "high_risk": _("High viral risk")}
            for key, title in titles.items():
                for row in (data.get("notable", {}).get(key) or {}).get("rows", []):
                    rows.append({**row, "kind": title})
            return Table(stem, _("Notable cases"), [
                Column("kind", _("Why")), Column("number", _("Case")), Column("opened", _("Opened")),
                Column("category", _("Category")), Column("branch", _("Branch")),
                Column("department", _("Department")), Column("what", _("What happened")),
            ], rows)
        if name == "crises":
            return Table(stem, _("Crisis events"), [
                Column("title", _("Event")), Column("started", _("Started")), Column("label", _("Where")),
                Column("count", _("Cases"), "int"), Column("baseline", _("Usual"), "float"),
            ], list(data.get("crises", [])))
        if name == "topics":
            return Table(stem, _("Emerging topics"), [
                Column("term", _("Topic")), Column("count", _("Cases"), "int"),
                Column("baseline", _("Usual"), "float"),
            ], list(data.get("topics", [])))
    return None


def _met_text(met: bool | None) -> str:
    if met is None:
        return ""
    return pgettext("report", "met") if met else pgettext("report", "missed")
