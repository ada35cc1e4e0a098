"""Filing a customer's message into the right case (ARCHITECTURE: ``cases.intake.file_message``).

Responsible for: choosing the case a message belongs to and recording it there, once.
The order of preference:

1. a case the message itself points at (an email replying to our mail, a case number in
   its subject) — if that case is the same customer's;
2. the customer's open case, whatever channel it came from;
3. the customer's case closed within the policy's reopen window: reopened through the
   workflow engine as a recurrence (Tingjian acts as the ``system`` role);
4. otherwise a new case at intake, linked to the customer's previous one.

Must never: move a stage except through ``cases.workflow``; file one platform message
twice (the channel + external id is unique, and a second call returns the first filing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import transaction
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.customers import services as customer_services
from tingjian.customers.models import Customer, Identity, MatchReason
from tingjian.org.services import system_user

from . import services
from .errors import TransitionRefused
from .models import Attachment, Case, LinkKind, Message, Stage
from .workflow import policy_document, transition

SUBJECT_LENGTH = 80


class IncomingFile(Protocol):
    """What intake needs of an attachment (``channels.adapters.base.AttachmentIn`` fits)."""

    @property
    def kind(self) -> str: ...
    @property
    def filename(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def content(self) -> bytes | None: ...
    @property
    def media_ref(self) -> str: ...
    @property
    def size(self) -> int | None: ...
    @property
    def note(self) -> str: ...


@dataclass(frozen=True)
class Filed:
    case: Case
    message: Message
    outcome: str  # opened | threaded | reopened | opened_after_closed | duplicate
    linked_to: Case | None = None


def subject_from(text: str, subject: str = "") -> str:
    """A case subject: the email's subject, else the first line of what the customer wrote."""
    candidate = (subject or "").strip() or next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    candidate = " ".join(candidate.split())
    if len(candidate) > SUBJECT_LENGTH:
        candidate = candidate[: SUBJECT_LENGTH - 1] + "…"
    return candidate or "—"


def _hinted_case(customer: Customer, channel: str, thread_refs: Iterable[str], case_number_hint: str) -> tuple[Case | None, Case | None]:
    """(the case the message points at if it is this customer's, a case of someone else it points at)."""
    refs = [r for r in thread_refs if r]
    pointed: Case | None = None
    if refs:
        found = Message.objects.filter(channel=channel, external_id__in=refs).select_related("case").order_by("-sent_at").first()
        pointed = found.case if found else None
    if pointed is None and case_number_hint:
        pointed = Case.objects.filter(number=case_number_hint.strip().upper()).first()
    if pointed is None:
        return None, None
    if pointed.customer_id == customer.pk:
        return pointed, None
    return None, pointed


def _reopen(case: Case, *, channel: str, at: datetime) -> bool:
    days = max(0, (at - (case.closed_at or at)).days)
    try:
        transition(
            case, Stage.INVESTIGATION, by=system_user(), via="reopen",
            reason=f"The customer wrote again on {channel}, {days} day(s) after the case was closed.",
        )
    except TransitionRefused:
        # An older policy version may not let Tingjian reopen by itself: open a new case.
        return False
    return True


def _store_attachments(message: Message, files: Iterable[IncomingFile]) -> None:
    for f in files:
        attachment = Attachment(
            message=message, kind=f.kind[:20], filename=(f.filename or "")[:255],
            content_type=(f.content_type or "")[:120], size=f.size, media_ref=(f.media_ref or "")[:1000],
            note=(f.note or "")[:300],
        )
        if f.content is not None:
            services.put_attachment_content(attachment, f.content)
        attachment.save()


def file_message(
    *,
    customer: Customer,
    identity: Identity | None,
    channel: str,
    text: str,
    external_id: str,
    sent_at: datetime | None = None,
    subject: str = "",
    is_public: bool = False,
    author_reach: int | None = None,
    attachments: Iterable[IncomingFile] = (),
    thread_refs: Iterable[str] = (),
    case_number_hint: str = "",
    fields: Mapping[str, Any] | None = None,
) -> Filed:
    """File one customer message; calling it again for the same message changes nothing."""
    sent_at = sent_at or clock.now()
    with transaction.atomic():
        if external_id:
            existing = Message.objects.select_related("case").filter(channel=channel, external_id=external_id).first()
            if existing is not None:
                return Filed(existing.case, existing, "duplicate")
        actor = system_user()
        body = (text or "").strip() or "—"
        hinted, foreign = _hinted_case(customer, channel, thread_refs, case_number_hint)
        if foreign is not None:
            customer_services.suggest_match(
                customer, foreign.customer, reason=MatchReason.REPLIED_TO_THREAD, evidence=foreign.number
            )
        target = hinted or Case.objects.filter(customer=customer).exclude(stage=Stage.CLOSED).order_by("-opened_at").first()
        outcome, linked_to, previous = "threaded", None, None
        if target is None:
            previous = Case.objects.filter(customer=customer, stage=Stage.CLOSED).order_by("-closed_at").first()
        elif target.stage == Stage.CLOSED:
            previous, target = target, None
        if target is None and previous is not None:
            window = timedelta(days=policy_document(previous.policy).reopen_window_days)
            if previous.closed_at and sent_at - previous.closed_at <= window and _reopen(previous, channel=channel, at=sent_at):
                target, outcome = Case.objects.get(pk=previous.pk), "reopened"
        if target is not None:
            message = services._record_message(
                target, direction="in", body=body[: services.MAX_BODY], by=None, channel=channel,
                is_public=is_public, external_id=external_id, sent_at=sent_at,
                author_identity=identity, actor=actor, subject=subject, author_reach=author_reach,
            )
            case = target
        else:
            values, problems = services.usable_fields(dict(fields or {}))
            case = services.open_case(
                customer=customer, subject=subject_from(text, subject), channel=channel,
                body=body[: services.MAX_BODY], by=actor, sent_at=sent_at, fields=values,
                external_id=external_id, is_public=is_public, author_identity=identity,
                message_extra={"subject": subject, "author_reach": author_reach},
            )
            message = case.messages.get()
            if problems:
                services.add_note(
                    case, by=actor,
                    body="Fields the channel sent that could not be used: "
                    + "; ".join(f"{k}: {v}" for k, v in sorted(problems.items())),
                )
            if previous is not None:
                kind = LinkKind.RECURRENCE_OF if hinted is not None else LinkKind.RELATED
                services._link(case, previous, kind, actor)
                linked_to = previous
                outcome = "opened_after_closed"
            else:
                outcome = "opened"
        _store_attachments(message, attachments)
        customer_services.note_handles_in_text(customer, body)
        if outcome in {"threaded", "reopened"} and case.assignee_id:
            alerts.notify(
                [case.assignee], kind="case.customer_wrote",
                verb=gettext_noop("The customer wrote again on case %(case)s (%(channel)s)"),
                params={"case": case.number, "channel": channel}, url=services.case_url(case),
            )
        return Filed(case, message, outcome, linked_to)
