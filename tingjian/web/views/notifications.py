"""Notification pages: the list and the bell, acknowledging (in the app and from an email
link), a person's preferences, and the administrators' outgoing webhooks.

Thin: each view parses, calls one selector or service of ``tingjian.alerts`` and renders.
Actions answer htmx with the changed row and an ``HX-Trigger: notifications-changed``
event, on which the bell fetches its count again; without htmx they redirect back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from tingjian.alerts import links, selectors, services
from tingjian.alerts.errors import AlreadyAcknowledged, NothingToAcknowledge
from tingjian.alerts.forms import PreferencesForm, WebhookEndpointForm
from tingjian.alerts.models import AckVia, Notification, WebhookDelivery, WebhookEndpoint

from ..service_errors import add_to_form, as_text


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


PER_PAGE = 25
CHANGED = "notifications-changed"
# The list's filters: the query value → which notifications.
SHOWS = {"": {}, "unread": {"unread": True}, "awaiting": {"awaiting_ack": True}}


def _back(request: HttpRequest, fallback: str = "web:notifications") -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


def _row(request: HttpRequest, notification: Notification) -> HttpResponse:
    """The changed row for htmx, with the event that refreshes the bell."""
    response = render(request, "web/alerts/partials/notification.html", {
        "n": notification, "next": request.POST.get("next", ""),
    })
    response["HX-Trigger"] = CHANGED
    return response


def _mine(request: HttpRequest, pk: int) -> Notification:
    try:
        return selectors.notification_for(request.user, pk)
    except Notification.DoesNotExist as exc:
        raise Http404(_("No such notification.")) from exc


# ------------------------------------------------------------------------- list and bell


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    if show not in SHOWS:
        show = ""
    found = selectors.notifications_for(request.user, **SHOWS[show])
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page, "show": show})


@login_not_required
@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    # Polled by htmx: after the session ends, answer "nothing to swap" (204) rather than
    # letting a login redirect paste the login page into the top bar.
    if not request.user.is_authenticated:
        return HttpResponse(status=204)
    return render(request, "web/partials/bell.html", {"unread": selectors.unread_count(request.user)})


@require_POST
def mark_read(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.POST.get("notification", "")
    ids = [int(raw)] if raw.isdigit() else None
    services.mark_read(request.user, notification_ids=ids)
    if request.htmx and ids:
        return _row(request, _mine(request, ids[0]))
    return _back(request)


@require_POST
def acknowledge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    notification = _mine(request, pk)
    try:
        services.acknowledge(notification, by=request.user, via=AckVia.APP)
    except AlreadyAcknowledged as exc:
        notification.refresh_from_db()
        if not request.htmx:
            messages.info(request, _already_text(exc))
    except NothingToAcknowledge as exc:
        if not request.htmx:
            messages.error(request, as_text(exc))
    else:
        if not request.htmx:
            messages.success(request, _("Acknowledged: others can see you have it in hand."))
    if request.htmx:
        return _row(request, notification)
    return _back(request)


def _already_text(exc: AlreadyAcknowledged) -> str:
    return _("Already acknowledged by %(name)s at %(at)s.") % {
        "name": exc.by_name, "at": formats.date_format(exc.at, "Y-m-d H:i"),
    }


# -------------------------------------------------------------- the acknowledge link in emails


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    """Opened from a phone's mail app, so no login: the signed token names the recipient.

    GET only shows what it is about and a button (mail scanners prefetch links, and a
    prefetch must not acknowledge); the POST of that button acknowledges.
    """
    try:
        notification_id = links.read_ack_token(token)
    except links.ExpiredLink:
        return _ack_page(request, "expired", status=410)
    except links.ForgedLink:
        return _ack_page(request, "invalid", status=400)
    notification = selectors.notification(notification_id)
    if not notification.requires_ack:
        return _ack_page(request, "invalid", status=400)
    if notification.acknowledged_at is not None:
        return _ack_page(request, "already", status=409, notification=notification)
    if request.method == "POST":
        try:
            services.acknowledge(notification, by=notification.recipient, via=AckVia.EMAIL)
        except AlreadyAcknowledged:
            notification.refresh_from_db()
            return _ack_page(request, "already", status=409, notification=notification)
        return _ack_page(request, "done", notification=notification)
    return _ack_page(request, "confirm", notification=notification)


def _ack_page(request: HttpRequest, state: str, *, status: int = 200, notification: Notification | None = None) -> HttpResponse:
    context: dict[str, Any] = {"state": state, "notification": notification}
    if notification is not None and notification.acknowledged_at is not None:
        recipient = notification.recipient
        context["by"] = recipient.get_full_name() or recipient.get_username()
    return render(request, "web/alerts/ack.html", context, status=status)


# ---------------------------------------------------------------------------- preferences


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    preference = selectors.preference_for(request.user)
    posted = request.method == "POST"
    form = PreferencesForm(request.POST if posted else None, preference=preference)
    if posted and form.is_valid():
        try:
            services.save_preferences(
                request.user, email=form.email_choices(), quiet_start=form.cleaned_data["quiet_start"],
                quiet_end=form.cleaned_data["quiet_end"], time_zone=form.cleaned_data["time_zone"],
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Your notification preferences are saved."))
            return redirect("web:notification-preferences")
    return render(request, "web/alerts/preferences.html", {"form": form}, status=422 if form.errors else 200)


# ------------------------------------------------------------------ outgoing webhooks (admins)


def _may_manage(request: HttpRequest) -> None:
    services.ensure_may_manage_webhooks(request.user)  # PermissionDenied → 403


def _endpoint(pk: int) -> WebhookEndpoint:
    try:
        return selectors.webhook_endpoint(pk)
    except WebhookEndpoint.DoesNotExist as exc:
        raise Http404(_("No such webhook endpoint.")) from exc


@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    return render(request, "web/alerts/webhooks.html", {
        "endpoints": selectors.webhook_endpoints(), "section": "endpoints",
    })


@never_cache
@require_http_methods(["GET", "POST"])
def webhook_new(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    posted = request.method == "POST"
    form = WebhookEndpointForm(request.POST if posted else None)
    if posted and form.is_valid():
        try:
            endpoint, secret = services.create_webhook(
                name=form.cleaned_data["name"], url=form.cleaned_data["url"],
                kinds=form.cleaned_data["kinds"], by=request.user,
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            # Rendered, not redirected: the secret is shown this once and kept nowhere else.
            return render(request, "web/alerts/webhook_created.html", {
                "endpoint": endpoint, "secret": secret, "section": "endpoints",
            }, status=201)
    return render(request, "web/alerts/webhook_form.html", {"form": form, "section": "endpoints"},
                  status=422 if form.errors else 200)


@require_POST
def webhook_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    endpoint = services.deactivate_webhook(_endpoint(pk), by=request.user)
    messages.success(request, _("%(name)s is deactivated: it is told nothing more.") % {"name": endpoint.name})
    return redirect("web:webhook-list")


@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    endpoint = _endpoint(pk)
    try:
        services.send_test_event(endpoint, by=request.user)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("A test event is on its way to %(name)s; its outcome shows in the delivery log.") % {
            "name": endpoint.name,
        })
    return redirect("web:webhook-list")


@require_GET
def webhook_deliveries(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    raw_endpoint = request.GET.get("endpoint", "")
    endpoint_id = int(raw_endpoint) if raw_endpoint.isdigit() else None
    failed_only = request.GET.get("failed") == "1"
    found = selectors.webhook_deliveries(endpoint_id=endpoint_id, failed_only=failed_only)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/alerts/webhook_deliveries.html", {
        "page": page, "query": query.urlencode(), "failed_only": failed_only, "endpoint_id": endpoint_id,
        "section": "deliveries",
    })


@require_POST
def webhook_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    try:
        delivery = selectors.webhook_delivery(pk)
    except WebhookDelivery.DoesNotExist as exc:
        raise Http404(_("No such delivery.")) from exc
    try:
        services.retry_webhook_delivery(delivery, by=request.user)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("Delivery %(id)s is queued again.") % {"id": delivery.pk})
    return _back(request, "web:webhook-deliveries")
