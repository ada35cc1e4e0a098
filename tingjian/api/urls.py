"""URLs of /api/v1/: the ninja views, exempt from login redirects, and a problem+json 404."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import problems
from .v1 import api


def _api_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """An API view: authenticates by token itself, so no login redirect (LoginRequiredMiddleware).

    It also turns ninja's bare 405 into problem+json. ``wraps`` keeps ninja's
    ``csrf_exempt`` flag: token requests carry no session, so there is no CSRF to check.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(problems.CONTENT_TYPE):
            allow = response.get("Allow", "")
            response = problems.problem(
                request, 405, "method-not-allowed", _("Method not allowed"),
                _("Allowed: %(methods)s") % {"methods": allow},
            )
            response["Allow"] = allow
        return response

    return login_not_required(wrapped)


def _exempt(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _exempt(pattern.url_patterns)
        else:
            pattern.callback = _api_view(pattern.callback)
    return patterns


@login_not_required
@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    return problems.not_found(request)


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    re_path(r"^", include((_exempt(_patterns), _app_name), namespace=_namespace)),
    re_path(r"^(?P<path>.*)$", not_found),
]
