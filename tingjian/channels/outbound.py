"""Replies out: the agent picks where (the customer's channels), a task delivers.

Responsible for: the list of places a reply can go for a case, each with the platform's
reason when it cannot (WeChat's 48 hours, Messenger's 7 days), recording the reply as
queued, and delivering it with retries; the message then shows sent / delivered / failed
with the platform's error in plain words. Must never: call a platform inside a web request
or a database transaction, or send one delivery twice from two workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.cases import services as case_services
from tingjian.cases.models import Case, DeliveryStatus, Direction, Message, Stage
from tingjian.customers.models import Identity
from tingjian.org.services import system_user

from .adapters import get_adapter
from .adapters.base import DeliveryError, OutgoingMessage, Recipient
from .models import Channel, Contact, InboundEvent, Kind, OutboundDelivery
from .services import channel_config, save_state

logger = logging.getLogger(__name__)

RETRY_WAITS = (timedelta(seconds=20), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=20))
CLAIM_TIMEOUT = timedelta(minutes=10)
# How long a LINE reply token is worth trying before we push instead.
REPLY_TOKEN_TTL = timedelta(seconds=50)

# Message channel (cases.ChannelKind) for each channel kind's replies.
MESSAGE_CHANNEL = {
    Kind.WECHAT: "wechat", Kind.LINE: "line", Kind.EMAIL: "email", Kind.WEBFORM: "webform",
    Kind.CALLLOG: "phone", Kind.API: "api",
}
# Channels a reply can be sent back through (the others take complaints in only).
REPLY_KINDS = (Kind.WECHAT, Kind.LINE, Kind.MESSENGER, Kind.EMAIL)
ACKNOWLEDGEMENT = {
    "zh-hant": "您好，我們已收到您的意見，案件編號 {case_number}。專人會儘快回覆您。",
    "zh-hans": "您好，我们已收到您的意见，案件编号 {case_number}。专人会尽快回复您。",
    "en": "Thank you, we have received your message. Your case number is {case_number}; we will reply soon.",
}


@dataclass(frozen=True)
class ReplyTarget:
    """One place a reply to this case can go, as the reply box lists it."""

    key: str
    label: str
    channel: Channel | None = None
    identity: Identity | None = None
    handle: str = ""
    public: bool = False
    problem: str = ""  # why it cannot be used now, in plain words ("" when it can)
    last_inbound_at: datetime | None = None

    @property
    def usable(self) -> bool:
        return not self.problem


def _message_channel(channel: Channel, identity: Identity | None) -> str:
    if channel.kind == Kind.MESSENGER:
        return "instagram" if identity is not None and identity.kind == "instagram" else "messenger"
    return MESSAGE_CHANNEL.get(Kind(channel.kind), channel.kind)


def reply_targets(case: Case) -> list[ReplyTarget]:
    """Where a reply to ``case`` can go: the customer's contacts on our channels, newest first."""
    now = clock.now()
    targets: list[ReplyTarget] = []
    contacts = (
        Contact.objects.filter(identity__customer_id=case.customer_id, channel__is_active=True, channel__kind__in=REPLY_KINDS)
        .select_related("channel", "identity").order_by("-last_inbound_at")
    )
    for contact in contacts:
        channel, identity = contact.channel, contact.identity
        adapter = get_adapter(channel.kind)
        recipient = Recipient(handle=identity.external_id, kind=identity.kind, last_inbound_at=contact.last_inbound_at)
        problem = adapter.reply_window_problem(recipient, now)
        if not contact.following and not problem:
            problem = _("The customer unfollowed this account, so it cannot reach them.")
        targets.append(ReplyTarget(
            key=f"contact:{contact.pk}", label=f"{channel.display_name} · {identity.external_id}",
            channel=channel, identity=identity, handle=identity.external_id, problem=problem,
            last_inbound_at=contact.last_inbound_at,
        ))
    emails = [i for i in case.customer.identities.all() if i.kind == "email"]
    mailbox = Channel.objects.filter(kind=Kind.EMAIL, is_active=True).order_by("pk").first()
    reached = {t.identity.pk for t in targets if t.identity is not None}
    for identity in emails:
        if identity.pk in reached:
            continue
        targets.append(ReplyTarget(
            key=f"email:{identity.pk}", label=_("Email · %(address)s") % {"address": identity.external_id},
            channel=mailbox, identity=identity, handle=identity.external_id,
            problem="" if mailbox else _("No email channel is configured to send from."),
        ))
    comment = (
        case.messages.filter(direction=Direction.INBOUND, is_public=True, channel__in=["messenger", "instagram"])
        .exclude(external_id="").order_by("-sent_at").first()
    )
    if comment is not None:
        page = Channel.objects.filter(kind=Kind.MESSENGER, is_active=True).order_by("pk").first()
        targets.append(ReplyTarget(
            key=f"comment:{comment.pk}", label=_("Public reply under the customer's comment"),
            channel=page, handle=comment.external_id, public=True,
            problem="" if page else _("No Facebook page channel is configured."),
        ))
    if case.messages.filter(direction=Direction.INBOUND, channel="webform").exists():
        # The brand's form the customer used: its status page is where they read replies.
        came_in = InboundEvent.objects.filter(case=case, channel__kind=Kind.WEBFORM).select_related("channel").order_by("pk").first()
        form = came_in.channel if came_in is not None and came_in.channel.is_active else None
        if form is not None:
            targets.append(ReplyTarget(key=f"webform:{form.pk}", label=_("The customer's case status page"), channel=form))
    targets.append(ReplyTarget(key="record", label=_("Record only (said by phone or in person)")))
    return targets


def default_target(targets: list[ReplyTarget]) -> ReplyTarget:
    """The channel of the customer's last message if it can be used, else the first usable one."""
    return next((t for t in targets if t.usable), targets[-1])


def send_reply(
    case: Case, *, body: str, by: Any, target: str = "", carries_resolution: bool = False,
    targets: list[ReplyTarget] | None = None,
) -> Message:
    """Record the reply and, unless it is record-only, queue its delivery.

    ``targets`` is ``reply_targets(case)`` when the caller already has it (the reply form).
    """
    targets = reply_targets(case) if targets is None else targets
    chosen = default_target(targets) if not target else next((t for t in targets if t.key == target), None)
    if chosen is None:
        raise ValidationError({"target": _("That channel is not one of this customer's; reload the page.")})
    if chosen.problem:
        raise ValidationError({"target": chosen.problem})
    if chosen.channel is None:
        channel = case.origin_channel if case.origin_channel in {"phone", "walk_in"} else "phone"
        return case_services.record_reply(case, body=body, by=by, carries_resolution=carries_resolution, channel=channel)
    return _queue(case, chosen, body=body, by=by, carries_resolution=carries_resolution)


def _queue(case: Case, chosen: ReplyTarget, *, body: str, by: Any, carries_resolution: bool = False, automatic: bool = False) -> Message:
    assert chosen.channel is not None
    with transaction.atomic():
        message = case_services.record_reply(
            case, body=body, by=by, carries_resolution=carries_resolution,
            channel=_message_channel(chosen.channel, chosen.identity), delivery_status=DeliveryStatus.QUEUED,
            automatic=automatic,
        )
        delivery = OutboundDelivery.objects.create(
            message=message, channel=chosen.channel, identity=chosen.identity, target=chosen.handle[:320],
            public=chosen.public, queued_at=clock.now(), queued_by=by if getattr(by, "pk", None) else None,
        )
        transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return message


def queue_acknowledgement(case_id: int, channel_id: int, identity_id: int) -> Message | None:
    """Tell a customer the number of the case their first message opened (auto-reply)."""
    case = Case.objects.select_related("customer").get(pk=case_id)
    channel = Channel.objects.get(pk=channel_id)
    if case.stage == Stage.CLOSED:
        return None
    target = next((t for t in reply_targets(case) if t.channel == channel and t.identity and t.identity.pk == identity_id), None)
    if target is None or target.problem:
        return None
    language = case.customer.language if case.customer.language in ACKNOWLEDGEMENT else "zh-hant"
    text = str(channel.config.get("auto_reply_text") or ACKNOWLEDGEMENT[language])
    return _queue(case, target, body=text.replace("{case_number}", case.number), by=system_user(), automatic=True)


def queue_automatic(case: Case, *, target: ReplyTarget, body: str) -> Message:
    """A message Tingjian itself sends on the case's thread (a survey invitation), even on a
    closed case: recorded as automatic (no first response, no SLA effect) and delivered like
    a reply, with its retries. ``target`` is one of ``reply_targets(case)``."""
    if target.channel is None or target.problem:
        raise ValidationError({"target": target.problem or _("This place cannot be sent to.")})
    return _queue(case, target, body=body, by=system_user(), automatic=True)


def enqueue_delivery(delivery_id: int, *, run_after: datetime | None = None) -> None:
    from .tasks import deliver_reply

    try:
        task = deliver_reply.using(run_after=run_after) if run_after else deliver_reply
        task.enqueue(delivery_id)
    except Exception:
        logger.exception("could not enqueue delivery %s; the sweep will pick it up", delivery_id)


def _recipient(delivery: OutboundDelivery) -> Recipient:
    message = delivery.message
    case = message.case
    contact = None
    if delivery.identity_id:
        contact = Contact.objects.filter(channel=delivery.channel, identity_id=delivery.identity_id).first()
    token = ""
    if contact and contact.reply_token and contact.reply_token_at and clock.now() - contact.reply_token_at < REPLY_TOKEN_TTL:
        token = contact.reply_token
    last_mail = (
        case.messages.filter(direction=Direction.INBOUND, channel="email").exclude(external_id="").order_by("-sent_at").first()
        if delivery.channel.kind == Kind.EMAIL else None
    )
    references = tuple(
        case.messages.filter(channel="email").exclude(external_id="").exclude(pk=message.pk)
        .order_by("sent_at").values_list("external_id", flat=True)[:20]
    ) if last_mail else ()
    subject = (last_mail.subject if last_mail and last_mail.subject else case.subject)
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    kind = delivery.identity.kind if delivery.identity else ""
    if delivery.public:
        # A public reply answers a comment; its platform is the comment message's channel.
        comment = case.messages.filter(external_id=delivery.target, is_public=True).first()
        kind = comment.channel if comment else "comment"
    return Recipient(
        handle=delivery.target, kind=kind,
        display_name=case.customer.display_name, reply_token=token,
        last_inbound_at=contact.last_inbound_at if contact else None, subject=subject,
        in_reply_to=last_mail.external_id if last_mail else "", references=references, public=delivery.public,
    )


def deliver(delivery_id: int) -> str:
    """Send one queued reply; safe to call twice (the second finds it claimed or done)."""
    now = clock.now()
    claimed = OutboundDelivery.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT), pk=delivery_id, status=DeliveryStatus.QUEUED,
    ).update(claimed_at=now)
    if not claimed:
        return "not queued, or another worker has it"
    delivery = OutboundDelivery.objects.select_related("channel", "identity", "message", "message__case", "message__case__customer").get(pk=delivery_id)
    channel = delivery.channel
    try:
        if channel.sandbox or channel.kind == Kind.WEBFORM:
            # The web form's replies are read on the status page; a sandbox sends nothing.
            result_id, mode, changes = "", "sandbox" if channel.sandbox else "status_page", {}
        else:
            adapter = get_adapter(channel.kind)
            result = adapter.send(
                channel_config(channel), _recipient(delivery),
                OutgoingMessage(text=delivery.message.body, case_number=delivery.message.case.number, retry_key=str(delivery.retry_key)),
            )
            result_id, mode, changes = result.platform_message_id, result.mode, dict(result.state_changes)
    except DeliveryError as exc:
        return _failed(delivery, exc.message, retry=exc.retry)
    except Exception as exc:  # a bug or an unexpected answer: retried, and visible to the agent
        logger.exception("delivery %s failed unexpectedly", delivery_id)
        return _failed(delivery, _("Unexpected error while sending (%(kind)s); it will be retried.") % {"kind": type(exc).__name__}, retry=True)
    with transaction.atomic():
        save_state(channel, changes)
        delivery.status, delivery.mode, delivery.platform_message_id = DeliveryStatus.SENT, mode, result_id[:255]
        delivery.sent_at, delivery.attempts, delivery.last_error = clock.now(), delivery.attempts + 1, ""
        delivery.save(update_fields=["status", "mode", "platform_message_id", "sent_at", "attempts", "last_error"])
        case_services.set_delivery_status(
            delivery.message, status=DeliveryStatus.SENT,
            external_id=result_id if channel.kind == Kind.EMAIL and result_id else None,
        )
        if mode == "reply" and delivery.identity_id:
            Contact.objects.filter(channel=channel, identity_id=delivery.identity_id).update(reply_token="")
    return f"sent ({mode})"


def _failed(delivery: OutboundDelivery, problem: str, *, retry: bool) -> str:
    with transaction.atomic():
        delivery.attempts += 1
        delivery.last_error = problem[:500]
        delivery.claimed_at = None
        if retry and delivery.attempts <= len(RETRY_WAITS):
            delivery.next_attempt_at = clock.now() + RETRY_WAITS[delivery.attempts - 1]
            delivery.save(update_fields=["attempts", "last_error", "claimed_at", "next_attempt_at"])
            case_services.set_delivery_status(delivery.message, status=DeliveryStatus.QUEUED, error=problem)
            when = delivery.next_attempt_at
            transaction.on_commit(lambda: enqueue_delivery(delivery.pk, run_after=when))
            return "will retry"
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "last_error", "claimed_at", "status", "next_attempt_at"])
        case_services.set_delivery_status(delivery.message, status=DeliveryStatus.FAILED, error=problem)
        if delivery.queued_by_id:
            alerts.notify(
                [delivery.queued_by], kind="case.delivery_failed",
                verb=gettext_noop("Your reply on case %(case)s could not be delivered: %(problem)s"),
                params={"case": delivery.message.case.number, "problem": problem[:200]},
                url=case_services.case_url(delivery.message.case),
            )
        return "failed"


def retry_delivery(message: Message, *, by: Any) -> OutboundDelivery:
    """Send a failed reply again (the agent's button)."""
    delivery = OutboundDelivery.objects.filter(message=message).first()
    if delivery is None or delivery.status != DeliveryStatus.FAILED:
        raise ValidationError(_("Only a reply that failed can be sent again."))
    case_services.permissions.ensure_can_view(by, message.case)
    case_services.permissions.ensure_perm(by, "cases.add_message", _("You may not reply to customers."))
    with transaction.atomic():
        delivery.status, delivery.attempts, delivery.next_attempt_at, delivery.claimed_at = DeliveryStatus.QUEUED, 0, None, None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
        case_services.set_delivery_status(message, status=DeliveryStatus.QUEUED)
        transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return delivery
