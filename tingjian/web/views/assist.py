"""The case page's assist panel, loaded after the page: what text intelligence suggests
(category, safety, sentiment, urgency, with confidence and the words behind them), the
case's keywords, the five most similar closed cases with their resolution and root cause,
and the knowledge articles and reply templates that fit. Plus "use this category".
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tingjian.cases import finding, services, suggestions
from tingjian.org.models import Category

from ..service_errors import as_text
from .case_detail import _case
from .knowledge import assist_context

# Below this a suggestion is shown greyed, as a guess rather than advice.
CONFIDENT = 0.6


@require_GET
def case_assist(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    text = suggestions.case_text(case)
    predicted = suggestions.suggest(text)
    category = predicted["category"]
    suggested_category = Category.objects.select_related("parent").filter(code=category.label).first()
    may_change = request.user.has_perm("cases.change_case") and case.is_open
    context = {
        "case": case,
        "predicted": predicted,
        "suggested_category": suggested_category,
        "offer_category": may_change and suggested_category is not None and suggested_category.pk != case.category_id,
        "confident": CONFIDENT,
        "keywords": case.keywords or suggestions.key_words(text),
        "similar": finding.similar_cases(request.user, case, text=text),
        "may_reply": request.user.has_perm("cases.add_message") and case.is_open,
        **assist_context(case, request.user, text=text),
    }
    return render(request, "web/partials/assist.html", context)


@require_POST
def use_category(request: HttpRequest, number: str) -> HttpResponse:
    """Accept the suggested category (or any category code posted): the same change as the
    edit panel's, so it is permission-checked, audited and remembered for training."""
    case = _case(request, number)
    code = (request.POST.get("category") or "").strip()[:40]
    try:
        services.update_case(case, by=request.user, fields={"category": code})
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, as_text(exc) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("Category set."))
    return redirect("web:case-detail", case.number)
