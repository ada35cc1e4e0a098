"""The public complaint form and its status page: no login, one channel per brand.

``/complain/<name>/`` takes a complaint and stores it as an InboundEvent (the ingest task
files it, as for any channel); ``/complain/<name>/status/<token>/`` is the submitter's
own page, reached only through the secret token the form's answer redirects to.

What a stranger must never get from these pages: another customer's case. A status page
shows a case only when *this* submission opened it — a submission threaded into an
existing case (someone typing another person's phone number) learns nothing about it —
and only our replies sent to the web form, never notes, assignees or automatic messages.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from tingjian import clock
from tingjian.cases.models import Case, DeliveryStatus, Direction, Message, Stage
from tingjian.channels.adapters import webform
from tingjian.channels.adapters.base import Accepted
from tingjian.channels.models import Channel, EventStatus, InboundEvent, Kind
from tingjian.channels.services import client_address, client_key, receive

from ..public_forms import HONEYPOT, MAX_FILES, ComplaintForm

# Seconds between the status page's checks while the complaint waits for the worker.
POLL_SECONDS = 5
RATE_WINDOW = timedelta(hours=1)
# Room for the form's text fields and multipart overhead on top of the files themselves.
_FORM_OVERHEAD_BYTES = 1024 * 1024


# --- Reads ----------------------------------------------------------------------------------
# Small queries of the two public pages. They belong in channels/cases selectors; they sit
# here only until those modules grow a public-status section (see the hand-over note).


def _channel(name: str) -> Channel:
    channel = Channel.objects.filter(kind=Kind.WEBFORM, name=name, is_active=True).first()
    if channel is None:
        raise Http404("no such form")
    return channel


def _recent_submissions(channel: Channel, client: str) -> int:
    since = clock.now() - RATE_WINDOW
    return InboundEvent.objects.filter(channel=channel, client_key=client_key(client), received_at__gte=since).count()


def _submission(channel: Channel, token: str) -> InboundEvent | None:
    return InboundEvent.objects.select_related("case").filter(channel=channel, public_token=token).first()


def _opened_by(event: InboundEvent, case: Case) -> bool:
    """Whether this submission's message is the one that opened ``case``."""
    first = case.messages.filter(direction=Direction.INBOUND).order_by("sent_at", "id").values_list("pk", flat=True).first()
    return event.message_id is not None and first == event.message_id


def _public_replies(case: Case) -> list[Message]:
    return list(
        case.messages.filter(
            direction=Direction.OUTBOUND, channel="webform", automatic=False,
            delivery_status__in=[DeliveryStatus.SENT, DeliveryStatus.DELIVERED],
        ).only("body", "sent_at").order_by("sent_at", "id")
    )


# --- What the customer sees ----------------------------------------------------------------

STEPS = ("received", "handling", "answered", "closed")


def _step_labels() -> dict[str, str]:
    return {
        "received": pgettext("complaint status for the customer", "Received"),
        "handling": pgettext("complaint status for the customer", "Being handled"),
        "answered": pgettext("complaint status for the customer", "Answered"),
        "closed": pgettext("complaint status for the customer", "Closed"),
    }


def customer_step(stage: str, *, replied: bool) -> str:
    """A case's stage in the customer's words: our workflow's names stay inside."""
    if stage == Stage.CLOSED:
        return "closed"
    if stage in {Stage.RESPONSE, Stage.QA} and replied:
        return "answered"
    if stage == Stage.INTAKE:
        return "received"
    return "handling"


@dataclass(frozen=True)
class StatusView:
    reference: str
    submitted_at: datetime
    waiting: bool  # not filed yet: the page keeps checking
    stuck: bool = False  # the worker gave up; staff file it by hand
    threaded: bool = False  # added to a case this submission did not open: nothing shown of it
    case_number: str = ""
    step: str = ""
    replies: list[Message] = field(default_factory=list)

    @property
    def steps(self) -> list[dict[str, Any]]:
        labels = _step_labels()
        current = STEPS.index(self.step) if self.step in STEPS else -1
        return [
            {"key": key, "label": labels[key], "done": i < current, "current": i == current}
            for i, key in enumerate(STEPS)
        ]


def _status(event: InboundEvent) -> StatusView:
    reference, submitted_at = event.external_id, event.received_at
    case = event.case
    if case is None:
        waiting = event.status in {EventStatus.RECEIVED, EventStatus.RETRYING}
        return StatusView(reference, submitted_at, waiting=waiting, stuck=not waiting)
    if not _opened_by(event, case):
        return StatusView(reference, submitted_at, waiting=False, threaded=True)
    replies = _public_replies(case)
    return StatusView(
        reference, submitted_at, waiting=False, case_number=case.number,
        step=customer_step(case.stage, replied=bool(replies)), replies=replies,
    )


# --- Language ------------------------------------------------------------------------------


def _supported(code: str) -> str:
    code = (code or "").strip().lower()
    return code if code in dict(settings.LANGUAGES) else ""


def _choose_language(request: HttpRequest, channel: Channel) -> str:
    """?lang= first (remembered in the language cookie), then the visitor's cookie, then
    the brand's default, then what LocaleMiddleware made of the browser's languages."""
    chosen = _supported(request.GET.get("lang", ""))
    if not chosen and not _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")):
        chosen = webform.default_language(channel.config or {})
    if chosen:
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
    return translation.get_language() or settings.LANGUAGE_CODE


def _remember_language(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    chosen = _supported(request.GET.get("lang", ""))
    if chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, chosen, max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def _page(request: HttpRequest, channel: Channel, language: str, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    context = {
        "channel": channel, "brand": channel.display_name, "language": language,
        "intro": webform.intro(channel.config or {}, language), **context,
    }
    return _remember_language(request, render(request, template, context, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    # A status page is one person's: never cached on the way, never indexed.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- Views ---------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def complaint_form(request: HttpRequest, name: str) -> HttpResponse:
    channel = _channel(name)
    language = _choose_language(request, channel)
    if request.method != "POST":
        return _page(request, channel, language, "web/public/form.html", {"form": ComplaintForm()})
    limit = MAX_FILES * settings.TINGJIAN_ATTACHMENT_MAX_BYTES + _FORM_OVERHEAD_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > limit:
        return _page(request, channel, language, "web/public/problem.html", {
            "title": _("The files are too large"),
            "message": _("Together the files you chose are larger than we can take. Please go back and choose fewer or smaller files."),
        }, status=413)
    if request.POST.get(HONEYPOT):
        # Only a robot fills the hidden field: it is thanked and nothing is kept.
        return _page(request, channel, language, "web/public/thanks.html", {})
    client = client_address(request.META)
    per_hour = webform.rate_limit_per_hour(channel.config or {})
    if _recent_submissions(channel, client) >= per_hour:
        response = _page(request, channel, language, "web/public/problem.html", {
            "title": _("Too many messages"),
            "message": _("We have received %(n)s messages from your connection in the last hour, the most we accept. Please try again in an hour.") % {"n": per_hour},
            "text": request.POST.get("text", ""),
        }, status=429)
        response["Retry-After"] = str(int(RATE_WINDOW.total_seconds()))
        return response
    form = ComplaintForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, channel, language, "web/public/form.html", {
            "form": form, "files_dropped": bool(request.FILES),
        }, status=422)
    token = _store(channel, form, language=language, client=client)
    url = reverse("public-complaint-status", args=[channel.name, token])
    return redirect(f"{url}?{urlencode({'lang': language})}")


def _store(channel: Channel, form: ComplaintForm, *, language: str, client: str) -> str:
    """Keep the files, then the submission (one InboundEvent); returns its status token."""
    uploads = [
        webform.store_upload(channel.name, upload, filename=upload.name or "", content_type=content_type)
        for upload, content_type in form.uploads
    ]
    try:
        for _attempt in range(3):  # a reference is random: on the rare clash, draw another
            token = secrets.token_urlsafe(24)
            incoming = webform.submission_event(
                webform.new_reference(), form.submission(), language=language, uploads=uploads,
            )
            ((event, created),) = receive(channel, Accepted(events=[incoming]), client=client, public_token=token)
            if created:
                return token
        raise RuntimeError("could not draw an unused web form reference")
    except BaseException:
        webform.discard_uploads(uploads)
        raise


@login_not_required
@require_GET
def complaint_status(request: HttpRequest, name: str, token: str) -> HttpResponse:
    channel = _channel(name)
    language = _choose_language(request, channel)
    event = _submission(channel, token)
    if event is None:
        return _private(_page(request, channel, language, "web/public/not_found.html", {}, status=404))
    status = _status(event)
    poll_url = f"{request.path}?{urlencode({'lang': language})}"
    context = {"status": status, "poll_url": poll_url, "poll_seconds": POLL_SECONDS}
    template = "web/public/partials/status_panel.html" if getattr(request, "htmx", False) else "web/public/status.html"
    return _private(_page(request, channel, language, template, context))
