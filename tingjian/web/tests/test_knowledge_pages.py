"""The knowledge pages: reading and searching articles, the editors, reply templates and their
one-click insertion into a case's reply box (issue 5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from tingjian.cases.models import Case
from tingjian.knowledge.models import Article, ReplyTemplate, TemplateUse
from tingjian.knowledge.tests.factories import make_article, make_template
from tingjian.web.views.knowledge import assist_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(users: dict[str, Any]) -> Article:
    return make_article(users["manager"])


@pytest.fixture
def template(users: dict[str, Any]) -> ReplyTemplate:
    return make_template(users["manager"])


@pytest.fixture
def cs_case(open_case: Callable[..., Case], company: dict[str, Any]) -> Case:
    """A case of customer service's, at the company's branch; agent2 (logistics) cannot see it."""
    return open_case(department=company["cs"], branch=company["branch"])


def _page(client: Client, name: str, *args: Any, **params: Any) -> str:
    response = client.get(reverse(f"web:{name}", args=args), params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ------------------------------------------------------------------------------- reading


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "manager", "executive", "admin"])
def test_everyone_reads_the_knowledge_base(client_for: Callable[[str], Client], role: str, article: Article, template: ReplyTemplate) -> None:
    client = client_for(role)
    assert "Correcting a wrong invoice" in _page(client, "knowledge-list")
    assert "Check the tax ID" in _page(client, "knowledge-article", article.pk)
    assert "道歉與跟進" in _page(client, "knowledge-templates")


def test_the_list_searches_in_either_script(
    agent_client: Client, article: Article, users: dict[str, Any], company: dict[str, Any],
) -> None:
    code = company["category"].code
    make_article(users["manager"], title_en="Allergens", body_en="Ask about peanuts.", title_zh="", body_zh="",
                 category_code=code)
    page = _page(agent_client, "knowledge-list", q="发票")
    assert "Correcting a wrong invoice" in page and "Allergens" not in page
    assert "<mark>" in page
    partial = agent_client.get(reverse("web:knowledge-list"), {"q": "peanuts"}, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "Allergens" in body and "<html" not in body
    in_category = _page(agent_client, "knowledge-list", category=code)
    assert "Allergens" in in_category and "Correcting" not in in_category
    # A category that no longer exists (an old link) is ignored, the words are kept.
    assert "Correcting" in _page(agent_client, "knowledge-list", category="gone", q="invoice")


def test_the_list_reads_a_fixed_number_of_queries(
    agent_client: Client, users: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    make_article(users["manager"])
    url = reverse("web:knowledge-list")
    agent_client.get(url)  # the session and the language are settled
    # session, user, permissions (user, groups), categories, count, the page of articles
    with django_assert_num_queries(7):
        assert agent_client.get(url).status_code == 200
    for n in range(12):
        make_article(users["manager"], title_en=f"Article {n}")
    with django_assert_num_queries(7):
        assert "Article 11" in agent_client.get(url).content.decode()


@pytest.mark.parametrize(("language", "title"), [
    ("zh-hant", "發票開立錯誤的更正流程"), ("zh-hans", "发票开立错误的更正流程"), ("en", "Correcting a wrong invoice"),
])
def test_the_article_is_shown_in_the_readers_language(agent_client: Client, article: Article, language: str, title: str) -> None:
    agent_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    assert f"<h1 lang=\"{'en' if language == 'en' else 'zh'}\">{title}</h1>" in _page(agent_client, "knowledge-article", article.pk)
    article.refresh_from_db()
    assert article.view_count == 1


def test_the_other_language_is_one_click_away(agent_client: Client, article: Article) -> None:
    agent_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    assert "Check the tax ID" in _page(agent_client, "knowledge-article", article.pk, show="en")


def test_a_draft_is_not_there_for_an_agent(client_for: Callable[[str], Client], users: dict[str, Any]) -> None:
    draft = make_article(users["manager"], publish=False)
    url = reverse("web:knowledge-article", args=[draft.pk])
    assert client_for("agent").get(url).status_code == 404
    assert "Draft: only editors see this article" in client_for("manager").get(url).content.decode()
    assert "Correcting" not in _page(client_for("agent"), "knowledge-list")


# ------------------------------------------------------------------------------- editors


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "executive"])
def test_only_editors_open_and_post_the_editors(
    client_for: Callable[[str], Client], role: str, article: Article, template: ReplyTemplate,
) -> None:
    client = client_for(role)
    for name, args in (("knowledge-article-new", []), ("knowledge-article-edit", [article.pk]),
                       ("knowledge-template-new", []), ("knowledge-template-edit", [template.pk])):
        assert client.get(reverse(f"web:{name}", args=args)).status_code == 403, name
    posts = [
        (reverse("web:knowledge-article-new"), {"title_en": "Mine", "body_en": "text"}),
        (reverse("web:knowledge-article-edit", args=[article.pk]), {"title_en": "Changed", "body_en": "x"}),
        (reverse("web:knowledge-article-publish", args=[article.pk]), {"publish": "0"}),
        (reverse("web:knowledge-template-new"), {"name": "Mine", "body_en": "Hi"}),
        (reverse("web:knowledge-template-active", args=[template.pk]), {"active": "0"}),
        (reverse("web:knowledge-template-preview"), {"body_en": "Hi"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    article.refresh_from_db()
    template.refresh_from_db()
    assert (Article.objects.count(), ReplyTemplate.objects.count()) == (1, 1)
    assert (article.title_en, article.is_published, template.is_active) == ("Correcting a wrong invoice", True, True)
    assert reverse("web:knowledge-article-new") not in _page(client, "knowledge-list")


def test_a_manager_writes_a_draft_then_publishes_it(client_for: Callable[[str], Client], company: dict[str, Any]) -> None:
    manager = client_for("manager")
    category = company["category"]
    assert f'value="{category.parent.code}"' in _page(manager, "knowledge-article-new")  # a group fits too
    response = manager.post(reverse("web:knowledge-article-new"), {
        "title_zh": "過敏原資訊", "body_zh": "所有湯頭含有大豆。", "title_en": "", "body_en": "",
        "category_code": category.code, "tags": "過敏, 大豆", "publish": "0",
    }, follow=True)
    assert "Article saved as a draft." in response.content.decode()
    article = Article.objects.get()
    assert (article.is_published, article.category_code, article.tag_list) == (False, category.code, ["過敏", "大豆"])
    manager.post(reverse("web:knowledge-article-publish", args=[article.pk]), {"publish": "1"})
    article.refresh_from_db()
    assert article.is_published
    assert "過敏原資訊" in _page(client_for("agent"), "knowledge-list")


def test_an_article_with_no_language_is_refused_on_the_page(client_for: Callable[[str], Client]) -> None:
    response = client_for("admin").post(reverse("web:knowledge-article-new"), {"title_zh": "只有標題"})
    assert response.status_code == 422
    assert "A title needs its text." in response.content.decode()
    assert not Article.objects.exists()


def test_a_template_with_an_unknown_variable_is_refused_on_the_page(client_for: Callable[[str], Client]) -> None:
    response = client_for("manager").post(reverse("web:knowledge-template-new"), {
        "name": "Typo", "body_zh": "{客戶} 您好", "body_en": "",
    })
    assert response.status_code == 422
    assert "Unknown variable {客戶}" in response.content.decode()
    assert not ReplyTemplate.objects.exists()


def test_the_preview_fills_sample_values_in_each_script(client_for: Callable[[str], Client]) -> None:
    url = reverse("web:knowledge-template-preview")
    preview = client_for("manager").post(url, {"body_zh": "{customer_name} 您好，發票已重開。", "body_en": ""}).content.decode()
    assert "Wang Xiaoming 您好，發票已重開。" in preview and "Wang Xiaoming 您好，发票已重开。" in preview
    refused = client_for("manager").post(url, {"body_zh": "{branch}您好", "body_en": "Hi {name}"}).content.decode()
    assert "Unknown variable {name}" in refused
    assert "Xinyi branch您好" in refused  # the Chinese text is still previewed


def test_the_template_editor_shows_the_preview_and_who_used_it(
    client_for: Callable[[str], Client], template: ReplyTemplate, cs_case: Case,
) -> None:
    assert _use(client_for("agent"), template, cs_case).status_code == 200
    page = _page(client_for("manager"), "knowledge-template-edit", template.pk)
    assert "Dear Wang Xiaoming, about case C-2026-000123" in page  # the preview, with sample values
    assert reverse("web:case-detail", args=[cs_case.number]) in page and "Used 1 time" in page
    response = client_for("manager").post(reverse("web:knowledge-template-edit", args=[template.pk]), {
        "name": "Apology", "body_zh": template.body_zh, "body_en": "Sorry, {customer_name}.", "category_code": "",
    })
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.body_en, template.use_count) == ("Apology", "Sorry, {customer_name}.", 1)
    assert "Nothing was saved" not in _page(client_for("manager"), "knowledge-template-new")


def test_a_deactivated_template_leaves_the_agents_list(client_for: Callable[[str], Client], template: ReplyTemplate) -> None:
    client_for("admin").post(reverse("web:knowledge-template-active", args=[template.pk]), {"active": "0"})
    assert "道歉與跟進" not in _page(client_for("agent"), "knowledge-templates")
    assert "道歉與跟進" in _page(client_for("admin"), "knowledge-templates", inactive="1")


# ---------------------------------------------------------------------- the case page


def _use(client: Client, template: ReplyTemplate, case: Case, body: str = "") -> Any:
    return client.post(
        reverse("web:knowledge-template-use", args=[template.pk]), {"case": case.number, "body": body},
        headers={"HX-Request": "true"},
    )


def test_inserting_a_template_keeps_what_the_agent_typed(agent_client: Client, template: ReplyTemplate, cs_case: Case) -> None:
    agent_client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = _use(agent_client, template, cs_case, body="我先查一下。  ")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<textarea") and 'name="body"' in html and 'id="id_body"' in html
    branch = cs_case.branch.name_zh_hans  # type: ignore[union-attr]
    assert f"我先查一下。\n\n王小明 您好，关于案件 {cs_case.number}，{branch}已经在处理" in html
    template.refresh_from_db()
    assert template.use_count == 1
    use = TemplateUse.objects.get()
    assert (use.case_ref, use.user.username, use.language) == (cs_case.number, "agent", "zh-hans")  # type: ignore[union-attr]


def test_a_case_the_agent_may_not_see_gets_no_template(client_for: Callable[[str], Client], template: ReplyTemplate, cs_case: Case) -> None:
    assert _use(client_for("agent2"), template, cs_case).status_code == 404
    assert _use(client_for("qa"), template, cs_case).status_code == 403  # sees it, may not reply
    template.refresh_from_db()
    assert (template.use_count, TemplateUse.objects.count()) == (0, 0)


def test_the_assist_panel_offers_articles_and_templates_for_the_case(
    users: dict[str, Any], cs_case: Case, template: ReplyTemplate,
) -> None:
    article = make_article(users["manager"], title_zh="湯冷掉的處理", body_zh="外送湯品冷掉時，致歉並重新製作。",
                           title_en="Cold soup", body_en="Apologise and remake it.", category_code="")
    context = assist_context(cs_case, users["agent"])
    assert context == {"knowledge_articles": [article], "knowledge_templates": [template]}
    request = RequestFactory().get("/")
    request.user = users["agent"]
    html = render_to_string("web/knowledge/partials/assist.html", {
        "articles": context["knowledge_articles"], "templates": context["knowledge_templates"],
        "case": cs_case, "may_reply": True,
    }, request=request)
    assert reverse("web:knowledge-article", args=[article.pk]) in html and "Cold soup" in html
    assert f'hx-post="{reverse("web:knowledge-template-use", args=[template.pk])}"' in html
    reply_box = f"form[action='{reverse('web:case-reply', args=[cs_case.number])}'] textarea[name=body]"
    assert f'hx-target="{reply_box}"' in html and f'hx-include="{reply_box}"' in html
    assert f'value="{cs_case.number}"' in html
