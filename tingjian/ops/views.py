"""Operational endpoints."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods


@login_not_required
@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    """For a load balancer: the process answers (it touches no database on purpose)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
