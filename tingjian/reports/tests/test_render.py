"""The report as HTML (email, PDF) and PDF, made from its snapshot alone."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from tingjian.reports import checks, render

Snapshot = Callable[..., dict[str, Any]]


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_of_a_chinese_report_contains_the_chinese_text(snapshot: Snapshot) -> None:
    # `make test` installs the font (`make fonts`); without one the PDF would show boxes, which
    # is exactly what this test is here to catch, so it fails rather than skips.
    assert render.has_cjk_font(), "no Chinese font: run `make fonts` (Debian: apt-get install fonts-noto-cjk)"
    content = render.pdf(render.html(snapshot(language="zh-hant")))
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "台中店" in text
    assert "送餐延遲" in text  # a category label inside the SVG chart and the table


def test_document_carries_the_charts_inline_as_svg(snapshot: Snapshot) -> None:
    data = snapshot()
    data["heatmap"]["counts"][2][12] = 5
    data["heatmap"]["total"] = 5
    document = render.html(data)
    assert 'class="chart chart-line"' in document  # the trend
    assert 'class="chart chart-bar"' in document  # the categories' Pareto
    assert 'class="chart chart-heatmap"' in document
    assert 'class="chart chart-sparkline"' in document
    assert "<script" not in document


def test_a_section_without_cases_says_so_instead_of_an_empty_chart(snapshot: Snapshot) -> None:
    document = render.html(snapshot())  # no root causes, an empty heatmap
    assert document.count("No cases in this period.") == 2


def test_document_links_are_absolute_so_they_work_from_the_email(snapshot: Snapshot, settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://tingjian.example"
    document = render.html(snapshot())
    assert 'href="https://tingjian.example/cases/C-2026-000001/"' in document
    assert 'href="/cases/' not in document


def test_document_escapes_labels(snapshot: Snapshot) -> None:
    data = snapshot()
    data["categories"]["rows"][0]["label"] = "<b>送餐</b>"
    document = render.html(data)
    assert "<b>送餐</b>" not in document
    assert "&lt;b&gt;送餐&lt;/b&gt;" in document


def test_empty_report_renders_with_no_data_messages(snapshot: Snapshot) -> None:
    data = snapshot(kpis=[], trend={}, categories={"rows": []}, root_causes={"rows": []}, heatmap={})
    document = render.html(data)
    assert "No KPIs for this period." in document
    assert "No data" in document


def test_text_body_has_the_narrative_and_the_key_figures(snapshot: Snapshot) -> None:
    body = render.text(snapshot(), url="https://tingjian.example/reports/1/")
    assert "台中店: complaints +23 % week on week." in body
    assert "- Cases opened: 16 (previous 13, +23 %)" in body
    assert "https://tingjian.example/reports/1/" in body


def test_each_table_exports_from_the_snapshot(snapshot: Snapshot) -> None:
    data = snapshot()
    for name in render.TABLES:
        assert render.table(data, name) is not None
    kpis = render.table(data, "kpis")
    assert kpis is not None and kpis.rows[1]["met"] == "met"
    assert render.table(data, "nonsense") is None


def test_missing_cjk_font_is_a_warning_not_a_crash(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(render, "has_cjk_font", lambda: False)
    [warning] = checks.cjk_font_installed()
    assert warning.id == "reports.W001"
    assert "fonts-noto-cjk" in (warning.hint or "")
    with caplog.at_level(logging.WARNING, logger="tingjian.reports.render"):
        content = render.pdf(render.html(snapshot()))
    assert content.startswith(b"%PDF")
    assert "fonts-noto-cjk" in caplog.text


def test_with_the_font_installed_the_check_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "has_cjk_font", lambda: True)
    assert checks.cjk_font_installed() == []
