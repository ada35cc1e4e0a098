"""The demo's knowledge base: loads once, in both languages, under the demo's categories."""

from __future__ import annotations

from typing import Any

import pytest

from tingjian.demo import data
from tingjian.knowledge import demo
from tingjian.knowledge.models import Article, ReplyTemplate

pytestmark = pytest.mark.django_db


def test_the_demo_content_loads_once(users: dict[str, Any]) -> None:
    assert demo.load_demo_content(users["admin"]) == (len(demo.ARTICLES), len(demo.TEMPLATES))
    assert demo.load_demo_content(users["admin"]) == (0, 0)
    assert Article.objects.filter(is_published=True).count() == len(demo.ARTICLES) >= 12
    assert ReplyTemplate.objects.filter(is_active=True).count() == len(demo.TEMPLATES) >= 10
    assert all(a.has_chinese and a.has_english for a in Article.objects.all())


def test_the_demo_content_is_filed_under_the_demos_categories() -> None:
    codes = {code for code, *_rest, children in data.CATEGORY_GROUPS} | {
        child[0] for *_rest, children in data.CATEGORY_GROUPS for child in children
    }
    used = {entry[0] for entry in demo.ARTICLES} | {entry[0] for entry in demo.TEMPLATES if entry[0]}
    assert used <= codes, used - codes
