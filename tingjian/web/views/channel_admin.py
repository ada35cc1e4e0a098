"""The administrators' channel pages: the channels and their health, a channel's settings,
the inbound events (failed ones first, with Requeue), one event's payload, the quarantine.

Administrators only (``channels.manage_channels``): the pages show webhook settings and
customers' raw messages. Each view checks the permission with the services' own check
before reading anything, and each write goes through a service that checks it again.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tingjian.channels import selectors, services
from tingjian.channels.adapters.base import Adapter
from tingjian.channels.models import Channel, InboundEvent, Kind, QuarantinedRequest

from ..channel_forms import ChannelForm, EventFilterForm, adapter_for
from ..service_errors import add_to_form, as_text

PER_PAGE = 25


def _may_manage(request: HttpRequest) -> None:
    services.ensure_may_manage(request.user)  # PermissionDenied → 403


def _webhook(channel: Channel, adapter: Adapter | None) -> str:
    return services.webhook_url(channel) if adapter is not None and adapter.has_webhook else ""


@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    counts = selectors.event_counts()
    adapters: dict[str, Adapter | None] = {}
    rows = []
    for channel in selectors.channels():
        adapter = adapters.setdefault(channel.kind, adapter_for(channel.kind))
        rows.append({
            "channel": channel, "counts": counts.get(channel.pk, selectors.EventCounts()),
            "webhook": _webhook(channel, adapter), "available": adapter is not None,
        })
    return render(request, "web/channels/list.html", {
        "rows": rows, "kinds": Kind.choices, "quarantined": selectors.quarantine_count(),
        "section": "channels",
    })


@require_http_methods(["GET", "POST"])
def channel_new(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    kind = request.GET.get("kind", "")
    adapter = adapter_for(kind) if kind in Kind.values else None
    if adapter is None:
        status = 404 if kind else 200
        return render(request, "web/channels/choose_kind.html", {
            "kinds": Kind.choices, "unknown": kind, "section": "channels",
        }, status=status)
    posted = request.method == "POST"
    form = ChannelForm(request.POST if posted else None, adapter=adapter)
    if posted and form.is_valid():
        try:
            channel = services.create_channel(kind=kind, values=form.values(), by=request.user, **form.create_fields())
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            _saved(request, channel, adapter, created=True)
            return redirect("web:channel-edit", channel.pk)
    return _form_page(request, form, kind=kind, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    try:
        channel = selectors.channel(pk)
    except Channel.DoesNotExist as exc:
        raise Http404(_("No such channel.")) from exc
    adapter = adapter_for(channel.kind)
    if adapter is None:
        raise Http404(_("This kind of channel cannot be configured here."))
    posted = request.method == "POST"
    form = ChannelForm(
        request.POST if posted else None, adapter=adapter, channel=channel, secrets_set=selectors.secrets_set(channel),
    )
    if posted and form.is_valid():
        try:
            channel = services.update_channel(
                channel, by=request.user, values=form.values(), clear=form.cleared(), **form.changed_fields(),
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            _saved(request, channel, adapter, created=False)
            return redirect("web:channel-edit", channel.pk)
    return _form_page(request, form, kind=channel.kind, channel=channel, webhook=_webhook(channel, adapter),
                      status=422 if form.errors else 200)


def _saved(request: HttpRequest, channel: Channel, adapter: Adapter, *, created: bool) -> None:
    saved = _("Channel %(name)s created.") if created else _("Channel %(name)s saved.")
    text = saved % {"name": channel.display_name}
    if adapter.has_webhook:
        text += " " + _("Paste its webhook URL into the platform's console: %(url)s") % {"url": services.webhook_url(channel)}
    messages.success(request, text)


def _form_page(request: HttpRequest, form: ChannelForm, *, kind: str, status: int, **extra: Any) -> HttpResponse:
    return render(request, "web/channels/form.html", {
        "form": form, "kind": kind, "kind_label": Kind(kind).label, "section": "channels", **extra,
    }, status=status)


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    channels = list(selectors.channels())
    form = EventFilterForm(request.GET, channels=channels)
    found = selectors.events(statuses=form.statuses(), channel_id=form.channel_id())
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "web/channels/events.html", {
        "form": form, "page": page, "status": form.current_status(), "query": query.urlencode(),
        "requeueable": selectors.REQUEUEABLE, "section": "events",
    })


@never_cache
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    try:
        event = selectors.event(pk)
    except InboundEvent.DoesNotExist as exc:
        raise Http404(_("No such event.")) from exc
    services.record_payload_read(by=request.user, what="event", object_id=event.pk, channel_id=event.channel_id)
    return render(request, "web/channels/event.html", {
        "event": event, "body": selectors.readable_body(event.body), "limit": selectors.BODY_SHOWN_BYTES,
        "meta": json.dumps(event.meta, ensure_ascii=False, indent=2, default=str) if event.meta else "",
        "requeueable": selectors.REQUEUEABLE, "section": "events",
    })


@require_POST
def event_requeue(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    try:
        event = selectors.event(pk)
    except InboundEvent.DoesNotExist as exc:
        raise Http404(_("No such event.")) from exc
    try:
        services.requeue(event, by=request.user)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, _("Event %(id)s is queued again and will be processed shortly.") % {"id": event.external_id})
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("web:channel-events")


@require_GET
def quarantine_list(request: HttpRequest) -> HttpResponse:
    _may_manage(request)
    page = Paginator(selectors.quarantined(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/channels/quarantine.html", {"page": page, "section": "quarantine"})


@never_cache
@require_GET
def quarantine_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _may_manage(request)
    try:
        item = selectors.quarantined_request(pk)
    except QuarantinedRequest.DoesNotExist as exc:
        raise Http404(_("No such request.")) from exc
    services.record_payload_read(by=request.user, what="quarantined_request", object_id=item.pk, channel_id=item.channel_id)
    return render(request, "web/channels/quarantined.html", {
        "item": item, "body": selectors.readable_body(item.body), "limit": selectors.BODY_SHOWN_BYTES,
        "section": "quarantine",
    })
