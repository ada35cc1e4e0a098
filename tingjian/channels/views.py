"""Webhooks: verify, store, enqueue, answer — nothing else inside the request.

``/hooks/<kind>/<name>/``. A wrong or missing signature is a 403 and nothing is stored (the
refusal is counted on the channel); an unreadable body is a 400 and the body goes to
quarantine for an administrator to inspect; a body over ``TINGJIAN_WEBHOOK_MAX_BYTES`` is
a 413 unread. A redelivery is answered 200 like the first time and stored once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .adapters import get_adapter
from .adapters.base import MalformedPayload, SignatureInvalid
from .models import Channel
from .services import channel_config, count_rejection, quarantine, receive


def _channel(kind: str, name: str) -> Channel:
    channel = Channel.objects.filter(kind=kind, name=name, is_active=True).first()
    if channel is None or not get_adapter(kind).has_webhook:
        raise Http404("no such channel")
    return channel


def _text(status: int, body: str) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@login_not_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, kind: str, name: str) -> HttpResponse:
    channel = _channel(kind, name)
    adapter = get_adapter(kind)
    config = channel_config(channel)
    if request.method == "GET":
        try:
            return HttpResponse(adapter.verify_url(config, request.GET), content_type="text/plain; charset=utf-8")
        except SignatureInvalid:
            count_rejection(channel)
            return _text(403, "signature check failed")
    limit = settings.TINGJIAN_WEBHOOK_MAX_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return _text(413, "body too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _text(413, "body too large")
    try:
        accepted = adapter.accept(config, body, request.headers, request.GET)
    except SignatureInvalid:
        count_rejection(channel)
        return _text(403, "signature check failed")
    except MalformedPayload as exc:
        quarantine(channel, body, reason=str(exc) or "unreadable body", content_type=request.content_type or "")
        return _text(400, "malformed body")
    receive(channel, accepted)
    return HttpResponse(accepted.response_body, content_type=accepted.response_content_type)

