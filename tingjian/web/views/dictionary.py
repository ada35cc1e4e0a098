"""The administrators' domain dictionary: products, branches and complaint words that the
segmenter must keep whole, and their synonyms (which search uses: 發票 also finds invoice).

Refused (403) to anyone without ``textintel.change_domainword``, before anything is read;
the dictionary services check it again. A refused word re-renders the page with the reason
beside what was typed, having changed nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tingjian.textintel import dictionary
from tingjian.textintel.models import DomainWord, WordKind

from ..service_errors import add_to_form

PERMISSION = "textintel.change_domainword"
PER_PAGE = 50


class WordForm(forms.Form):
    word = forms.CharField(label=gettext_lazy("Word"), max_length=60)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=WordKind.choices)
    synonyms = forms.CharField(
        label=gettext_lazy("Synonyms"), required=False, max_length=500,
        help_text=gettext_lazy("Other spellings or translations, separated by commas: invoice, 收據, receipt."),
    )


def _require(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied(_("Only administrators may change the dictionary."))


def _list_page(request: HttpRequest, form: WordForm, *, status: int = 200) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in WordKind.values else ""
    state = request.GET.get("state", "active")
    active = {"active": True, "inactive": False}.get(state)
    q = (request.GET.get("q") or "").strip()[:60]
    words = dictionary.list_words(kind or None, q or None, active=active)
    page = Paginator(words, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/dictionary/list.html", {
        "form": form, "page": page, "kind": kind, "state": state, "q": q, "kinds": WordKind.choices,
        "query": query.urlencode(),
    }, status=status)


@require_http_methods(["GET", "POST"])
def word_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    if request.method == "GET":
        return _list_page(request, WordForm(initial={"kind": WordKind.TERM}))
    form = WordForm(request.POST)
    if form.is_valid():
        try:
            entry = dictionary.add_word(
                form.cleaned_data["word"], form.cleaned_data["kind"], form.cleaned_data["synonyms"], by=request.user
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("“%(w)s” added: it is read as one word from now on.") % {"w": entry.word})
            return redirect("web:dictionary")
    return _list_page(request, form, status=422)


def _word_or_404(pk: int) -> DomainWord:
    entry = DomainWord.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404(_("No such word."))
    return entry


@require_http_methods(["GET", "POST"])
def word_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    entry = _word_or_404(pk)
    status = 200
    if request.method == "POST":
        form = WordForm(request.POST)
        if form.is_valid():
            try:
                dictionary.update_word(
                    pk, word=form.cleaned_data["word"], kind=form.cleaned_data["kind"],
                    synonyms=form.cleaned_data["synonyms"], by=request.user,
                )
            except ValidationError as exc:
                add_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("web:dictionary")
        status = 422
    else:
        form = WordForm(initial={"word": entry.word, "kind": entry.kind, "synonyms": entry.synonyms})
    context: dict[str, Any] = {"form": form, "entry": entry}
    return render(request, "web/dictionary/edit.html", context, status=status)


@require_POST
def word_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    entry = _word_or_404(pk)
    active = request.POST.get("active") == "1"
    dictionary.update_word(entry.pk, is_active=active, by=request.user)
    messages.success(request, (_("“%(w)s” is in use again.") if active else _("“%(w)s” is no longer used.")) % {"w": entry.word})
    return redirect("web:dictionary")
