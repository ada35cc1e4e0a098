"""Knowledge articles: bilingual, shown in the reader's script, found by search once
published, suggested for a case, written only by editors."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.audit.models import AuditEvent
from tingjian.knowledge import selectors, services
from tingjian.knowledge.models import Article
from tingjian.org.roles import ROLE_PERMISSIONS, Role

from .factories import make_article, make_template

pytestmark = pytest.mark.django_db


def test_an_article_needs_one_language_written_in_full(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        make_article(users["manager"], title_zh="", body_zh="", title_en="", body_en="")
    assert "Chinese, in English, or in both" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError) as half:
        make_article(users["manager"], body_zh="", title_en="", body_en="")
    assert half.value.message_dict == {"body_zh": ["A title needs its text."]}
    assert not Article.objects.exists()


def test_one_language_is_enough(users: dict[str, Any]) -> None:
    article = make_article(users["manager"], title_zh="", body_zh="")
    assert (article.has_chinese, article.has_english) == (False, True)


def test_the_article_is_shown_in_the_readers_script(users: dict[str, Any]) -> None:
    traditional = make_article(users["manager"])
    assert traditional.title_for("zh-hant") == "發票開立錯誤的更正流程"
    assert traditional.title_for("zh-hans") == "发票开立错误的更正流程"
    assert traditional.body_for("en").startswith("Check the tax ID")
    simplified = make_article(users["manager"], title_zh="积分未到账的处理", body_zh="请确认会员账号。")
    assert simplified.title_for("zh-hans") == "积分未到账的处理"
    assert simplified.title_for("zh-hant") == "積分未到賬的處理"


def test_a_reader_whose_language_is_missing_sees_the_other(users: dict[str, Any]) -> None:
    chinese_only = make_article(users["manager"], title_en="", body_en="")
    assert chinese_only.shown_language("en") == "zh"
    assert chinese_only.title_for("en") == "發票開立錯誤的更正流程"
    english_only = make_article(users["manager"], title_zh="", body_zh="")
    assert english_only.title_for("zh-hans") == "Correcting a wrong invoice"


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "executive"])
def test_only_managers_and_administrators_write_articles(users: dict[str, Any], role: str) -> None:
    with pytest.raises(PermissionDenied):
        make_article(users[role])
    article = make_article(users["admin"], publish=False)
    for write in (
        lambda: services.update_article(article, by=users[role], title_en="Changed"),
        lambda: services.publish_article(article, by=users[role]),
    ):
        with pytest.raises(PermissionDenied):
            write()
    article.refresh_from_db()
    assert (article.title_en, article.is_published) == ("Correcting a wrong invoice", False)


def test_the_manager_and_administrator_roles_grant_the_editors_permissions() -> None:
    for role in (Role.MANAGER, Role.ADMIN):
        assert {"knowledge.change_article", "knowledge.change_replytemplate"} <= ROLE_PERMISSIONS[role]
    assert not {"knowledge.change_article", "knowledge.change_replytemplate"} & ROLE_PERMISSIONS[Role.AGENT]


def test_writes_are_audited(users: dict[str, Any]) -> None:
    article = make_article(users["manager"], publish=False)
    services.update_article(article, by=users["manager"], tags="發票, 統編，作廢")
    services.publish_article(article, by=users["admin"])
    services.unpublish_article(article, by=users["admin"])
    actions = list(AuditEvent.objects.filter(object_type="article").order_by("id").values_list("action", flat=True))
    assert actions == [
        "knowledge.article_created", "knowledge.article_updated",
        "knowledge.article_published", "knowledge.article_unpublished",
    ]
    article.refresh_from_db()
    assert article.tag_list == ["發票", "統編", "作廢"]


def test_a_published_article_is_found_in_either_script_and_language(users: dict[str, Any]) -> None:
    article = make_article(users["manager"])
    make_article(users["manager"], title_zh="外送延遲", body_zh="外送超過四十分鐘請致電門市。",
                 title_en="Late delivery", body_en="Call the branch.", category_code="late-delivery")
    for words in ("發票", "发票", "invoices"):
        found = selectors.search_articles(users["agent"], words)
        assert [a.pk for a in found.page.object_list] == [article.pk], words
        assert "<mark>" in found.snippets[article.pk]


def test_a_draft_is_neither_found_nor_listed_for_agents(users: dict[str, Any]) -> None:
    draft = make_article(users["manager"], publish=False)
    assert not selectors.search_articles(users["agent"], "發票").page.object_list
    assert not list(selectors.articles(users["agent"]))
    with pytest.raises(Article.DoesNotExist):
        selectors.article(users["agent"], draft.pk)
    assert selectors.article(users["manager"], draft.pk) == draft
    services.publish_article(draft, by=users["manager"])
    assert [a.pk for a in selectors.search_articles(users["agent"], "發票").page.object_list] == [draft.pk]
    services.unpublish_article(draft, by=users["manager"])
    assert not selectors.search_articles(users["agent"], "發票").page.object_list


def test_search_is_filtered_by_category(users: dict[str, Any]) -> None:
    make_article(users["manager"], category_code="invoice-error")
    refund = make_article(users["manager"], title_zh="退款與發票", category_code="refund")
    found = selectors.search_articles(users["agent"], "發票", category_code="refund")
    assert [a.pk for a in found.page.object_list] == [refund.pk]


def test_an_empty_search_lists_every_article_newest_first(users: dict[str, Any]) -> None:
    older = make_article(users["manager"])
    newer = make_article(users["manager"], title_zh="過敏原資訊")
    found = selectors.search_articles(users["agent"], "  ")
    assert list(found.page.object_list) == [newer, older]
    assert not found.searched


def test_keywords_of_a_case_text() -> None:
    words = selectors.keywords("外送的牛肉麵送到時湯是冷的，外送員也遲到了。The delivery was late")
    assert words[0] == "外送"  # twice
    assert "delivery" in words and "late" in words and "the" not in words


def test_suggestions_for_a_case(users: dict[str, Any]) -> None:
    manager = users["manager"]
    late = make_article(manager, title_zh="外送延遲的處理", body_zh="外送超過四十分鐘，致歉並提供折價券。",
                        title_en="Late delivery", body_en="Apologise and offer a voucher.", category_code="late-delivery")
    make_article(manager)  # invoices: nothing to do with this case
    spilled = make_article(manager, title_zh="灑漏", body_zh="請拍照。", title_en="", body_en="", category_code="delivery")
    general = make_template(manager, name="General")
    popular = make_template(manager, name="Popular elsewhere", category_code="refund")
    group = make_template(manager, name="Delivery group", category_code="delivery")
    exact = make_template(manager, name="Late delivery", category_code="late-delivery")
    for _ in range(3):
        services.record_use(popular, by=users["agent"], case_ref="C-1")
    articles, templates = selectors.suggest(
        "外送的便當晚了一個小時才到", category_code="late-delivery", group_code="delivery", limit=3,
    )
    assert articles == [late, spilled]  # found by its words, then its category group's
    assert templates == [exact, group, general]
    _, more = selectors.suggest("", limit=4)
    assert more[:2] == [general, popular]  # no category: general ones, then the most used
