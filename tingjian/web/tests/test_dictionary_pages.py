"""The administrators' dictionary page: add, refuse, edit, stop using; nobody else may."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tingjian.search import query
from tingjian.textintel.models import DomainWord

pytestmark = pytest.mark.django_db


def test_an_added_product_is_read_as_one_word(client_for: Callable[[str], Client]) -> None:
    client = client_for("admin")
    response = client.post("/dictionary/", {"word": "麻辣鴨血鍋", "kind": "product", "synonyms": "spicy duck blood pot"})
    assert response.status_code == 302
    # A search reads it as one word (not 麻辣 + 鴨血 + 鍋), and its synonyms find it too.
    units = [u.surface for g in query.parse("麻辣鴨血鍋").groups for c in g for u in c.units]
    assert units[0] == "麻辣鸭血锅" and "duck" in units
    assert "麻辣鴨血鍋" in client.get("/dictionary/").content.decode()


def test_a_bad_word_is_refused_with_the_reason_and_nothing_is_saved(client_for: Callable[[str], Client]) -> None:
    client = client_for("admin")
    client.post("/dictionary/", {"word": "發票", "kind": "term"})
    response = client.post("/dictionary/", {"word": "发票", "kind": "term"})
    assert response.status_code == 422
    assert DomainWord.objects.count() == 1
    response = client.post("/dictionary/", {"word": "兩 個字", "kind": "term"})
    assert response.status_code == 422 and DomainWord.objects.count() == 1


def test_edit_and_stop_using(client_for: Callable[[str], Client]) -> None:
    client = client_for("admin")
    client.post("/dictionary/", {"word": "捷運", "kind": "term"})
    entry = DomainWord.objects.get()
    assert client.post(f"/dictionary/{entry.pk}/", {"word": "捷運", "kind": "term", "synonyms": "MRT, metro"}).status_code == 302
    assert client.post(f"/dictionary/{entry.pk}/active/", {"active": "0"}).status_code == 302
    entry.refresh_from_db()
    assert not entry.is_active and "metro" in entry.synonyms


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_administrators_may_see_or_change_it(client_for: Callable[[str], Client], role: str) -> None:
    client = client_for(role)
    assert client.get("/dictionary/").status_code == 403
    assert client.post("/dictionary/", {"word": "捷運", "kind": "term"}).status_code == 403
    assert not DomainWord.objects.exists()
