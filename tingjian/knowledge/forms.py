"""The forms of the knowledge pages: an article, a reply template, the list's filters.

They parse what was typed; whether it holds (one language at least, only known variables)
is the models' and services' to say, and the view puts their errors beside the fields.
Category choices come from the caller: knowledge may not read org's categories itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import variables
from .models import Article, ReplyTemplate

Choices = Sequence[tuple[str, str]]


def _with_any(choices: Choices, label: Any) -> list[tuple[str, Any]]:
    return [("", label), *choices]


class ArticleForm(forms.Form):
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=200, required=False)
    body_zh = forms.CharField(
        label=_("Text (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("In Traditional or Simplified characters: each reader sees it in their own script."),
    )
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    body_en = forms.CharField(label=_("Text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 12}))
    category_code = forms.ChoiceField(label=_("Category"), required=False)
    tags = forms.CharField(
        label=_("Tags"), max_length=300, required=False,
        help_text=_("Words that help find the article, separated by commas."),
    )

    def __init__(self, data: Any = None, *, categories: Choices, article: Article | None = None) -> None:
        initial = {name: getattr(article, name) for name in self.base_fields} if article is not None else None
        super().__init__(data, initial=initial)
        choices = _with_any(categories, _("— none —"))
        if article is not None and article.category_code and article.category_code not in dict(categories):
            # A category deactivated since: still shown, so saving does not silently drop it.
            choices.append((article.category_code, article.category_code))
        self.fields["category_code"].choices = choices  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.base_fields}


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    body_zh = forms.CharField(
        label=_("Text (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("In Traditional or Simplified characters: each agent inserts it in their own script."),
    )
    body_en = forms.CharField(label=_("Text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    category_code = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(self, data: Any = None, *, categories: Choices, template: ReplyTemplate | None = None) -> None:
        initial = {name: getattr(template, name) for name in self.base_fields} if template is not None else None
        super().__init__(data, initial=initial)
        choices = _with_any(categories, _("— any case —"))
        if template is not None and template.category_code and template.category_code not in dict(categories):
            choices.append((template.category_code, template.category_code))
        self.fields["category_code"].choices = choices  # type: ignore[attr-defined]
        allowed = _("Variables: %(list)s.") % {"list": variables.listed()}
        self.fields["body_en"].help_text = allowed

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.base_fields}


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.ChoiceField(label=_("Category"), required=False)
    drafts = forms.BooleanField(label=_("Drafts only"), required=False)

    def __init__(self, data: Any = None, *, categories: Choices) -> None:
        super().__init__(data)
        self.fields["category"].choices = _with_any(categories, _("All categories"))  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("發票, refund, 異物…")})

    def value(self, name: str) -> Any:
        """The field's value when valid, its empty value otherwise: a stale category in an
        old link drops that filter and keeps the words."""
        self.is_valid()
        return self.cleaned_data.get(name, False if name == "drafts" else "")
