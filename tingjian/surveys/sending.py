"""Inviting customers to rate how their case was handled: who, in which language, by where.

Responsible for: the sweep that makes one invitation per case closed at least
``TINGJIAN_SURVEY_DELAY_MINUTES`` ago (never for spam or duplicate closes), choosing the
route — an automatic message on the case's own chat channel when it can still reach the
customer, else an email — and sending it in a task, with retries.
Must never: send inside a web request or the creating transaction, send one invitation
twice (the row is claimed with a conditional UPDATE, and a case has at most one), or log
an address, a token or a link (the token is a key to the customer's answer).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tingjian import clock
from tingjian.alerts.services import absolute_url
from tingjian.cases.models import Case, CloseReason, Direction, Stage
from tingjian.channels import outbound
from tingjian.channels.models import Channel, InboundEvent, Kind
from tingjian.channels.outbound import ReplyTarget
from tingjian.sealed import seal, unseal
from tingjian.textintel.script import detect

from . import tasks
from .models import Invitation, InvitationStatus

logger = logging.getLogger(__name__)

DEFAULT_DELAY_MINUTES = 60
VALID_FOR = timedelta(days=30)
# Cases closed longer ago than this are left alone: switching surveys on (or a worker that
# was down) must not invite every customer of the past years at once.
LOOKBACK = timedelta(days=7)
SWEEP_LIMIT = 200
# Waits before the 2nd…5th attempt of an email; after that it is given up.
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
CLAIM_TIMEOUT = timedelta(minutes=10)
# The sweep leaves alone what became due this recently: its task is on its way.
GRACE = timedelta(minutes=2)
# Case channels whose own thread can carry the invitation, and the channel kind that sends.
CHAT_KINDS = {"line": Kind.LINE, "wechat": Kind.WECHAT, "messenger": Kind.MESSENGER, "instagram": Kind.MESSENGER}
SCRIPT_LANGUAGE = {"zh-Hant": "zh-hant", "zh-Hans": "zh-hans", "en": "en"}
SUBJECT_MAX = 150


def delay() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "TINGJIAN_SURVEY_DELAY_MINUTES", DEFAULT_DELAY_MINUTES)))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def survey_url(token: str) -> str:
    return absolute_url(reverse("web:survey", args=[token]))


# ----------------------------------------------------------------------------- the route


@dataclass(frozen=True)
class Route:
    """Where an invitation goes: ``channel`` is the case's chat channel or "email"; "" when
    the customer cannot be reached (``problem`` says why)."""

    channel: str
    target: ReplyTarget | None = None
    address: str = ""
    problem: str = ""


def route(case: Case) -> Route:
    kind = CHAT_KINDS.get(case.origin_channel)
    if kind is not None:
        for target in outbound.reply_targets(case):
            if target.channel is not None and target.channel.kind == kind and target.identity is not None and not target.public and target.usable:
                return Route(channel=case.origin_channel, target=target)
    by_email = route_by_email(case)
    if by_email.channel:
        return by_email
    return Route(channel="", problem="no chat channel that can reach the customer now, and no email address")


def route_by_email(case: Case) -> Route:
    address = (
        case.customer.identities.filter(kind="email").order_by("-created_at", "-id").values_list("external_id", flat=True).first()
    )
    return Route(channel="email", address=address) if address else Route(channel="")


def choose_language(case: Case) -> str:
    """The script the customer wrote in; else what we know of them; else the channel's habit."""
    first = (
        case.messages.filter(direction=Direction.INBOUND).order_by("sent_at", "id").values_list("body", flat=True).first()
    )
    script = detect((first or case.subject)[:1000]).script
    if script in SCRIPT_LANGUAGE:
        return SCRIPT_LANGUAGE[script]
    if case.origin_channel == "wechat":
        return "zh-hans"
    language = case.customer.language
    return language if language in dict(settings.LANGUAGES) else "zh-hant"


def _brand(case: Case, found: Route) -> str:
    """The name the customer knows us by: the channel they wrote to."""
    if found.target is not None and found.target.channel is not None:
        return found.target.channel.display_name
    event = InboundEvent.objects.filter(case=case).select_related("channel").order_by("pk").first()
    if event is not None:
        return event.channel.display_name
    mailbox = Channel.objects.filter(kind=Kind.EMAIL, is_active=True).order_by("pk").first()
    return mailbox.display_name if mailbox is not None else ""


# ----------------------------------------------------------------------------- creating


def due_cases(now: datetime) -> list[Case]:
    """Cases closed (as resolved) long enough ago that have no invitation yet, oldest first."""
    invited = Invitation.objects.filter(case=OuterRef("pk"))
    return list(
        Case.objects.filter(stage=Stage.CLOSED, closed_at__lte=now - delay(), closed_at__gte=now - LOOKBACK)
        .exclude(close_reason__in=[CloseReason.SPAM, CloseReason.DUPLICATE])
        .exclude(Exists(invited))
        .select_related("customer")
        .order_by("closed_at", "pk")[:SWEEP_LIMIT]
    )


def create_invitation(case: Case, *, now: datetime | None = None) -> Invitation | None:
    """Make the case's one invitation and, if the customer can be reached, send it after
    commit. None when the case has one already (another worker was first)."""
    now = now or clock.now()
    if case.close_reason in (CloseReason.SPAM, CloseReason.DUPLICATE):
        return None
    found = route(case)
    token = secrets.token_urlsafe(24)
    invitation = Invitation(
        case=case, token_hash=hash_token(token), token_sealed=seal({"token": token}),
        language=choose_language(case), brand=_brand(case, found)[:120],
        status=InvitationStatus.PENDING if found.channel else InvitationStatus.SKIPPED,
        problem=found.problem, created_at=now, expires_at=now + VALID_FOR,
    )
    try:
        with transaction.atomic():
            invitation.save()
            if invitation.status == InvitationStatus.PENDING:
                transaction.on_commit(lambda: tasks.enqueue_send(invitation.pk))
    except IntegrityError:
        return None
    logger.info("survey invitation %s for case %s: %s", invitation.pk, case.pk, invitation.status)
    return invitation


def sweep() -> str:
    """Invite for every due case, and send again what a lost task left pending."""
    now = clock.now()
    made = skipped = 0
    for case in due_cases(now):
        invitation = create_invitation(case, now=now)
        if invitation is None:
            continue
        if invitation.status == InvitationStatus.SKIPPED:
            skipped += 1
        else:
            made += 1
    stale = list(
        Invitation.objects.filter(status=InvitationStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True, created_at__lt=now - GRACE) | Q(next_attempt_at__lt=now - GRACE))
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    for invitation_id in stale:
        tasks.enqueue_send(invitation_id)
    return f"surveys: {made} invited, {skipped} unreachable, {len(stale)} re-sent"


# ----------------------------------------------------------------------------- sending


def _release(invitation_id: int, **fields: object) -> None:
    Invitation.objects.filter(pk=invitation_id).update(claimed_at=None, **fields)


def send(invitation_id: int) -> str:
    """Send one invitation; safe to run twice, or in two workers at once."""
    now = clock.now()
    claimed = (
        Invitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + GRACE))
        .update(claimed_at=now)
    )
    if not claimed:
        return "nothing to send (sent, not due, or another worker has it)"
    invitation = Invitation.objects.select_related("case", "case__customer").get(pk=invitation_id)
    case = invitation.case
    if case.stage != Stage.CLOSED or case.closed_at is None or case.closed_at > now - delay():
        # Reopened before we asked: ask once it is closed again, and settled.
        since = case.closed_at if case.stage == Stage.CLOSED and case.closed_at else now
        due = since + delay()
        _release(invitation_id, next_attempt_at=due)
        tasks.enqueue_send(invitation_id, run_after=due)
        return "case not closed long enough; postponed"
    found = route(case)
    if not found.channel:
        _release(invitation_id, status=InvitationStatus.FAILED, problem=found.problem)
        return "unreachable"
    url = survey_url(unseal(invitation.token_sealed)["token"])
    if found.target is not None:
        try:
            return _send_on_channel(invitation, found, url, now=now)
        except ValidationError:
            # The chat thread refused it (the window just closed): email is the way left.
            logger.info("survey invitation %s: channel refused, trying email", invitation_id)
            found = route_by_email(case)
            if not found.channel:
                _release(invitation_id, status=InvitationStatus.FAILED, problem="the chat channel refused the message; no email address")
                return "failed"
    return _send_email(invitation, found, url, now=now)


def chat_text(invitation: Invitation, url: str) -> str:
    with translation.override(invitation.language):
        return render_to_string("surveys/invitation_chat.txt", {
            "brand": invitation.brand, "case": invitation.case, "url": url, "days": VALID_FOR.days,
        }).strip()


def _send_on_channel(invitation: Invitation, found: Route, url: str, *, now: datetime) -> str:
    assert found.target is not None
    with transaction.atomic():
        # queue_automatic: channels' entry for Tingjian's own messages on a case thread (it
        # records the message as automatic, even on a closed case, and delivers it like a reply).
        message = outbound.queue_automatic(invitation.case, target=found.target, body=chat_text(invitation, url))
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.SENT, channel=found.channel, message=message, sent_at=now,
            expires_at=now + VALID_FOR, attempts=invitation.attempts + 1, claimed_at=None, problem="",
            next_attempt_at=None,
        )
    logger.info("survey invitation %s queued on %s", invitation.pk, found.channel)
    return f"sent on {found.channel}"


def render_email(invitation: Invitation, address: str, url: str) -> EmailMultiAlternatives:
    with translation.override(invitation.language):
        context = {
            "brand": invitation.brand, "case": invitation.case, "url": url, "days": VALID_FOR.days,
            "name": invitation.case.customer.display_name, "scores": range(1, 6),
        }
        subject = " ".join(render_to_string("surveys/email/subject.txt", context).split())[:SUBJECT_MAX]
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address],
        # Out-of-office replies must not answer an automatic mail (nor reach our mailbox channel).
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_email(invitation: Invitation, found: Route, url: str, *, now: datetime) -> str:
    try:
        render_email(invitation, found.address, url).send()
    except Exception as exc:
        return _failed(invitation, exc)
    sent = clock.now()
    _release(
        invitation.pk, status=InvitationStatus.SENT, channel="email", sent_at=sent, expires_at=sent + VALID_FOR,
        attempts=invitation.attempts + 1, problem="", next_attempt_at=None,
    )
    logger.info("survey invitation %s emailed", invitation.pk)
    return "sent by email"


def _failed(invitation: Invitation, exc: Exception) -> str:
    attempts = invitation.attempts + 1
    # The class only: an SMTP error's text may quote the address.
    problem = type(exc).__name__[:200]
    if attempts <= len(RETRY_WAITS):
        due = clock.now() + RETRY_WAITS[attempts - 1]
        logger.warning("survey invitation %s: email failed (%s), attempt %s; retrying", invitation.pk, problem, attempts)
        _release(invitation.pk, attempts=attempts, problem=problem, next_attempt_at=due)
        tasks.enqueue_send(invitation.pk, run_after=due)
        return "will retry"
    logger.error("survey invitation %s: email failed for good (%s) after %s attempts", invitation.pk, problem, attempts)
    _release(invitation.pk, status=InvitationStatus.FAILED, attempts=attempts, problem=problem, next_attempt_at=None)
    return "failed"
