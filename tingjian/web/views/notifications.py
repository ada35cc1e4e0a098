from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from tingjian.alerts import selectors, services

PER_PAGE = 25


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@login_not_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    # Polled by htmx: after the session ends, answer "nothing to swap" (204) rather than
    # letting a login redirect paste the login page into the top bar.
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, "web/partials/bell.html", {"unread": selectors.unread_count(request.user)})


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("notification", "")
    ids = [int(raw)] if raw.isdigit() else None
    services.mark_read(request.user, notification_ids=ids)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("web:notifications")
