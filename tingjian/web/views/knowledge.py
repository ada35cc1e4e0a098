"""The knowledge pages: articles (list, reading, editor), reply templates (list, editor with
a live preview) and the case page's one-click insertion of a template into the reply box.

Reading is open to everyone signed in; the editors check ``knowledge.permissions`` before
reading anything (403), and each write goes through a service that checks it again. The
knowledge app stores categories by code and knows nothing of cases: this layer turns codes
into the organisation's labels and a case into the values of a template's variables.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.cases import selectors as case_selectors
from tingjian.cases.models import Case, Direction
from tingjian.cases.permissions import ensure_can_view, ensure_perm
from tingjian.knowledge import permissions, selectors, services, variables
from tingjian.knowledge.forms import ArticleFilterForm, ArticleForm, TemplateForm
from tingjian.knowledge.languages import READINGS, Reading, reading_for
from tingjian.knowledge.models import Article, ReplyTemplate
from tingjian.org.selectors import leaf_categories

from ..forms import ReplyForm
from ..service_errors import add_to_form

READING_LABELS = {"zh-hant": "繁體中文", "zh-hans": "简体中文", "en": "English"}


# ------------------------------------------------------------------------------- categories


def category_choices() -> list[tuple[str, str]]:
    """Every active category group followed by its categories, as (code, label): an article
    or a template may be filed under a whole group ("Billing") or one category."""
    choices: list[tuple[str, str]] = []
    seen_groups: set[int] = set()
    leaves = sorted(leaf_categories(), key=lambda c: (c.parent.code if c.parent else "", c.code))
    for leaf in leaves:
        group = leaf.parent
        if group is not None and group.pk not in seen_groups:
            seen_groups.add(group.pk)
            choices.append((group.code, group.label))
        choices.append((leaf.code, leaf.full_label))
    return choices


def _reading(request: HttpRequest) -> Reading:
    return reading_for(get_language())


def _editable(request: HttpRequest, ensure: Any) -> None:
    ensure(request.user)  # PermissionDenied → 403


# --------------------------------------------------------------------------------- articles


@require_GET
def knowledge_list(request: HttpRequest) -> HttpResponse:
    permissions.ensure_may_read(request.user)
    categories = category_choices()
    form = ArticleFilterForm(request.GET, categories=categories)
    found = selectors.search_articles(
        request.user, form.value("q"), request.GET.get("page"),
        category_code=form.value("category"), drafts_only=form.value("drafts"),
    )
    reading = _reading(request)
    labels = dict(categories)
    rows = [
        {
            "article": article, "title": article.title_for(reading), "snippet": found.snippets.get(article.pk, ""),
            "category": labels.get(article.category_code, article.category_code),
            "other_language": article.shown_language(reading) != ("en" if reading == "en" else "zh"),
        }
        for article in found.page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "found": found, "page": found.page, "rows": rows, "query": query.urlencode(),
        "may_edit": permissions.may_edit_articles(request.user),
        "may_edit_templates": permissions.may_edit_templates(request.user),
    }
    template = "web/knowledge/partials/article_results.html" if getattr(request, "htmx", False) else "web/knowledge/list.html"
    return render(request, template, context)


def _article_or_404(request: HttpRequest, pk: int) -> Article:
    try:
        return selectors.article(request.user, pk)
    except Article.DoesNotExist as exc:
        # A draft is not there for a reader who may not edit it.
        raise Http404(_("No such article.")) from exc


@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The article in the reader's language; ``?show=en`` or ``?show=zh`` for the other."""
    permissions.ensure_may_read(request.user)
    article = _article_or_404(request, pk)
    reading = _reading(request)
    asked = request.GET.get("show", "")
    if asked == "en":
        reading = "en"
    elif asked == "zh" and reading == "en":
        reading = "zh-hant"
    if article.is_published:
        services.record_article_view(article)
    shown = article.shown_language(reading)
    return render(request, "web/knowledge/article.html", {
        "article": article, "title": article.title_for(reading), "body": article.body_for(reading),
        "shown": shown, "fallback": shown != ("en" if reading == "en" else "zh"),
        "other": "zh" if shown == "en" else "en",
        "has_other": article.has_chinese if shown == "en" else article.has_english,
        "category": dict(category_choices()).get(article.category_code, article.category_code),
        "may_edit": permissions.may_edit_articles(request.user),
    })


def _article_page(
    request: HttpRequest, form: ArticleForm, article: Article | None, status: int = 200,
) -> HttpResponse:
    return render(request, "web/knowledge/article_form.html", {"form": form, "article": article}, status=status)


@require_http_methods(["GET", "POST"])
def article_new(request: HttpRequest) -> HttpResponse:
    _editable(request, permissions.ensure_may_edit_articles)
    form = ArticleForm(request.POST if request.method == "POST" else None, categories=category_choices())
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("publish") == "1"
        try:
            article = services.create_article(by=request.user, publish=publish, **form.values())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Article published.") if publish else _("Article saved as a draft."))
            return redirect("web:knowledge-article", article.pk)
    return _article_page(request, form, None, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _editable(request, permissions.ensure_may_edit_articles)
    article = _article_or_404(request, pk)
    posted = request.method == "POST"
    form = ArticleForm(request.POST if posted else None, categories=category_choices(), article=article)
    if posted and form.is_valid():
        try:
            services.update_article(article, by=request.user, **form.values())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Article saved."))
            return redirect("web:knowledge-article", article.pk)
    return _article_page(request, form, article, status=422 if form.errors else 200)


@require_POST
def article_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """``publish=1`` publishes, anything else takes the article back to draft."""
    _editable(request, permissions.ensure_may_edit_articles)
    article = _article_or_404(request, pk)
    if request.POST.get("publish") == "1":
        services.publish_article(article, by=request.user)
        messages.success(request, _("Article published: every agent can read and find it."))
    else:
        services.unpublish_article(article, by=request.user)
        messages.success(request, _("Article taken back to draft: only editors see it."))
    return redirect("web:knowledge-article", article.pk)


# -------------------------------------------------------------------------------- templates


@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    permissions.ensure_may_read(request.user)
    may_edit = permissions.may_edit_templates(request.user)
    show_inactive = may_edit and request.GET.get("inactive") == "1"
    reading = _reading(request)
    labels = dict(category_choices())
    rows = [
        {
            "template": t, "body": t.body_for(reading), "category": labels.get(t.category_code, t.category_code),
            "languages": [label for has, label in ((t.body_zh.strip(), _("Chinese")), (t.body_en.strip(), _("English"))) if has],
        }
        for t in selectors.templates(request.user, include_inactive=show_inactive)
    ]
    return render(request, "web/knowledge/templates.html", {
        "rows": rows, "may_edit": may_edit, "show_inactive": show_inactive, "variables": variables.listed(),
    })


def _template_or_404(request: HttpRequest, pk: int, *, include_inactive: bool) -> ReplyTemplate:
    try:
        return selectors.template(request.user, pk, include_inactive=include_inactive)
    except ReplyTemplate.DoesNotExist as exc:
        raise Http404(_("No such reply template.")) from exc


def _template_page(
    request: HttpRequest, form: TemplateForm, template: ReplyTemplate | None, status: int = 200,
) -> HttpResponse:
    return render(request, "web/knowledge/template_form.html", {
        "form": form, "template": template, "variables": variables.listed(),
        "uses": selectors.recent_uses(template) if template is not None else [],
        "preview": _preview(request, form.data if form.is_bound else form.initial),
    }, status=status)


@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    _editable(request, permissions.ensure_may_edit_templates)
    form = TemplateForm(request.POST if request.method == "POST" else None, categories=category_choices())
    if request.method == "POST" and form.is_valid():
        try:
            services.create_template(by=request.user, **form.values())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Reply template saved: agents can insert it now."))
            return redirect("web:knowledge-templates")
    return _template_page(request, form, None, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _editable(request, permissions.ensure_may_edit_templates)
    template = _template_or_404(request, pk, include_inactive=True)
    posted = request.method == "POST"
    form = TemplateForm(request.POST if posted else None, categories=category_choices(), template=template)
    if posted and form.is_valid():
        try:
            services.update_template(template, by=request.user, **form.values())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Reply template saved."))
            return redirect("web:knowledge-templates")
    return _template_page(request, form, template, status=422 if form.errors else 200)


@require_POST
def template_active(request: HttpRequest, pk: int) -> HttpResponse:
    """``active=1`` offers the template again, anything else stops offering it."""
    _editable(request, permissions.ensure_may_edit_templates)
    template = _template_or_404(request, pk, include_inactive=True)
    if request.POST.get("active") == "1":
        services.reactivate_template(template, by=request.user)
        messages.success(request, _("Reply template %(name)s is offered again.") % {"name": template.name})
    else:
        services.deactivate_template(template, by=request.user)
        messages.success(request, _("Reply template %(name)s is no longer offered; its uses are kept.") % {"name": template.name})
    return redirect("web:knowledge-templates")


def _agent_name(user: Any) -> str:
    profile = getattr(user, "profile", None)  # none yet: RelatedObjectDoesNotExist is an AttributeError
    return (getattr(profile, "display_name", "") or user.get_full_name() or user.get_username()).strip()


def _preview(request: HttpRequest, data: Any) -> list[dict[str, Any]]:
    """The template as typed, filled with sample values, in each reading it can be shown in;
    or the problems with its variables, which saving would refuse."""
    draft = ReplyTemplate(body_zh=str(data.get("body_zh") or ""), body_en=str(data.get("body_en") or ""))
    sample = {
        "customer_name": _("Wang Xiaoming"), "case_number": "C-2026-000123",
        "branch": _("Xinyi branch"), "agent_name": _agent_name(request.user),
    }
    rows: list[dict[str, Any]] = []
    for field, label in (("body_zh", _("Chinese")), ("body_en", _("English"))):
        found = variables.problems(getattr(draft, field))
        if found:
            rows.append({"label": label, "problems": found})
            setattr(draft, field, "")  # the other language is still previewed
    readings: list[Reading] = [r for r in READINGS if draft.shown_language(r) == ("en" if r == "en" else "zh")]
    return rows + [
        {"label": READING_LABELS[r], "lang": r, "text": services.render_template(draft, sample, r)}
        for r in readings
        if draft.body_for(r).strip()
    ]


@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview (htmx, as the editor types); writes nothing."""
    _editable(request, permissions.ensure_may_edit_templates)
    return render(request, "web/knowledge/partials/template_preview.html", {"preview": _preview(request, request.POST)})


# --------------------------------------------------------------------------- the case page


def case_values(case: Case, user: Any) -> dict[str, str]:
    """The values of a template's variables on ``case``, as ``user`` inserts it."""
    return {
        "customer_name": case.customer.display_name,
        "case_number": case.number,
        "branch": case.branch.label if case.branch is not None else "",
        "agent_name": _agent_name(user),
    }


@require_POST
def template_use(request: HttpRequest, pk: int) -> HttpResponse:
    """Insert a template into the case page's reply box (htmx): the reply textarea again, with
    what the agent had typed (``body``) followed by the filled template; the use is counted.

    A case the user may not see is 404, as everywhere, and one they may not reply on (QA,
    executives, a closed case) 403; nothing is counted then.
    """
    permissions.ensure_may_read(request.user)
    template = _template_or_404(request, pk, include_inactive=False)
    try:
        case = case_selectors.get_case(request.user, request.POST.get("case", "").strip())
    except Case.DoesNotExist as exc:
        raise Http404(_("No such case.")) from exc
    # The same checks as cases.services.record_reply, before anything is counted.
    ensure_can_view(request.user, case)
    ensure_perm(request.user, "cases.add_message", _("You may not reply to customers."))
    if not case.is_open:
        raise PermissionDenied(_("The case is closed; reopen it to reply."))
    reading = _reading(request)
    text = services.render_template(template, case_values(case, request.user), reading)
    try:
        services.record_use(template, by=request.user, case_ref=case.number, language=reading)
    except ValidationError as exc:
        raise Http404(_("This reply template is no longer in use.")) from exc
    typed = request.POST.get("body", "").rstrip()
    form = ReplyForm(initial={"body": f"{typed}\n\n{text}" if typed else text})
    return render(request, "web/knowledge/partials/reply_body.html", {"field": form["body"]})


def assist_context(case: Case, user: Any, *, text: str | None = None) -> dict[str, Any]:
    """What the case page's knowledge panel (``web/knowledge/partials/assist.html``) needs:
    ``knowledge_articles`` and ``knowledge_templates`` for this case (model objects, shown
    in the reader's language by their ``reader_*`` properties).

    ``text`` is what the articles are matched against; by default the case's subject and its
    first message from the customer (one query).
    """
    if not permissions.may_read(user):
        return {"knowledge_articles": [], "knowledge_templates": []}
    if text is None:
        inbound = case.messages.filter(direction=Direction.INBOUND).order_by("sent_at", "id")
        text = f"{case.subject}\n{inbound.values_list('body', flat=True).first() or ''}"
    category = case.category
    articles, templates = selectors.suggest(
        text, category_code=category.code if category is not None else None,
        group_code=category.parent.code if category is not None and category.parent is not None else None,
    )
    return {"knowledge_articles": articles, "knowledge_templates": templates}

