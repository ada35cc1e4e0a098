"""Fixtures of the reports tests: a report snapshot to render without the KPI machinery."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

BASE: dict[str, Any] = {
    "version": 1,
    "cadence": "weekly",
    "period": {"start": "2026-11-16", "end": "2026-11-22", "previous_start": "2026-11-09", "previous_end": "2026-11-15"},
    "scope": {"kind": "branch", "branch": 1, "department": None, "label": "台中店"},
    "language": "en",
    "composed_at": "2026-11-23T00:00:00+00:00",
    "missing": [],
    "kpis": [
        {"code": "opened", "label": "Cases opened", "unit": "count", "value": 16, "display": "16", "previous": 13,
         "previous_display": "13", "last_year": None, "change": 0.23, "target": None, "target_display": "",
         "direction": "at_most", "met": None, "note": "", "drill_url": "/insights/cases/?what=opened",
         "spark": [1, 3, 2, 4, 2, 3, 1]},
        {"code": "frt_median", "label": "First response time (median)", "unit": "seconds", "value": 600,
         "display": "10 min", "previous": 900, "previous_display": "15 min", "last_year": None, "change": -0.33,
         "target": 900, "target_display": "15 min", "direction": "at_most", "met": True, "note": "",
         "drill_url": "", "spark": []},
    ],
    "trend": {"code": "opened", "label": "Cases opened", "unit": "count",
              "current": [["2026-11-16", 1], ["2026-11-17", 3]], "previous": [["2026-11-09", 2], ["2026-11-10", 2]],
              "last_year": []},
    "categories": {"name": "category", "title": "Categories",
                   "columns": [{"key": "label", "label": "Categories", "kind": "text"},
                               {"key": "count", "label": "Cases", "kind": "int"}],
                   "rows": [{"key": 1, "label": "送餐延遲", "count": 9, "share": 0.5625, "cumulative": 0.5625,
                             "previous": 4, "change": 1.25, "drill_url": "/insights/cases/?category=1"},
                            {"key": 2, "label": "異物", "count": 7, "share": 0.4375, "cumulative": 1.0,
                             "previous": 9, "change": -0.22, "drill_url": "/insights/cases/?category=2"}]},
    "root_causes": {"name": "root-cause", "title": "Root causes", "columns": [], "rows": []},
    "heatmap": {"counts": [[0] * 24 for _ in range(7)], "hrefs": [[None] * 24 for _ in range(7)], "total": 0},
    "movers": {"by": "category", "rows": []},
    "notable": {
        "safety": {"count": 2, "answered": 2, "within_target": 2, "target_minutes": 15, "rows": [
            {"number": "C-2026-000001", "opened": "2026-11-17 12:00", "category": "異物", "branch": "台中店",
             "department": "", "what": "answered in 9 min", "url": "/cases/C-2026-000001/"}]},
        "breaches": {"count": 0, "rows": []},
        "overrides": {"count": 0, "rows": []},
        "high_risk": {"count": 0, "rows": []},
    },
    "topics": [],
    "crises": [],
    "narrative": ["台中店: complaints +23 % week on week."],
}


@pytest.fixture
def snapshot() -> Callable[..., dict[str, Any]]:
    """``snapshot(language="zh-hant", cadence="monthly")`` → a report's data, changed at the top level."""

    def make(**changes: Any) -> dict[str, Any]:
        data = copy.deepcopy(BASE)
        data.update(changes)
        return data

    return make
