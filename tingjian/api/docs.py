"""The interactive API docs page, served from our own static files (offline, CSP-clean).

Ninja's own Swagger page needs ``ninja`` in INSTALLED_APPS (otherwise it falls back to a
CDN); ours renders a template of the api app with the init code in ``api/docs.js``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(DocsBase):
    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"title": api.title, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, context)
