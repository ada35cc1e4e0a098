"""The diagnostics and per-10,000 pages' URLs, added to ``web.urls`` so their names live in the ``web`` namespace."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
