"""Cases: opening them, changing their fields, recording what was said and written.

Responsible for: every write to a case except its stage (``cases.workflow`` owns that),
with the permission check, validation and an audit event in the same transaction.
Must never: change ``Case.stage``, send anything to a channel directly (outbound delivery
is a task, issue 3), or trust the caller's view of permissions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.customers.models import Customer, Identity
from tingjian.org.models import Branch, Category, Department, Product, RootCause, Team
from tingjian.sla import services as sla

from . import indexing, permissions, safety, suggestions
from .models import (
    Attachment,
    Case,
    CaseLink,
    CaseNumberSequence,
    ChannelKind,
    DeliveryStatus,
    Direction,
    LinkKind,
    Mention,
    Message,
    Note,
    ResolutionCode,
    Severity,
    Stage,
    WaitingOn,
)
from .models.conversation import attachment_path

MAX_BODY = 50_000
MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")

# Fields a user may set on a case; the value each accepts is parsed by `_parse`.
EDITABLE_FIELDS = (
    "subject", "category", "product", "branch", "department", "team", "severity", "safety",
    "assignee", "findings", "root_cause", "resolution_code", "compensation_amount", "duplicate_of",
    "waiting_on",
)
_LOOKUPS: dict[str, type[Model]] = {
    "category": Category, "product": Product, "branch": Branch, "department": Department,
    "team": Team, "root_cause": RootCause,
}


def case_url(case: Case) -> str:
    return reverse("web:case-detail", args=[case.number])


def _next_number(at: datetime) -> str:
    year = timezone.localtime(at).year
    seq, _created = CaseNumberSequence.objects.select_for_update().get_or_create(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"C-{year}-{seq.last:06d}"


def _require_text(value: str, field: str, *, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError(
            {field: _("At most %(n)s characters (got %(got)s).") % {"n": max_length, "got": len(text)}}
        )
    return text


def open_case(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    body: str,
    by: Any | None,
    sent_at: datetime | None = None,
    fields: dict[str, Any] | None = None,
    external_id: str = "",
    is_public: bool = False,
    author_identity: Identity | None = None,
    message_extra: dict[str, Any] | None = None,
) -> Case:
    """Open a case at intake under the active policy, with the customer's first message.

    ``message_extra`` carries what a channel knows of that message (its subject, the
    author's reach); see ``_record_message``.
    """
    from .workflow.policy import active_policy

    if by is not None:
        permissions.ensure_perm(by, "cases.add_case", _("You may not open cases."))
    if channel not in ChannelKind.values:
        raise ValidationError({"channel": _("Unknown channel: %(c)s") % {"c": channel}})
    subject = _require_text(subject, "subject", max_length=200)
    body = _require_text(body, "body", max_length=MAX_BODY)
    now = clock.now()
    with transaction.atomic():
        case = Case(
            number=_next_number(now), customer=customer, subject=subject, origin_channel=channel,
            policy=active_policy(), opened_at=sent_at or now, stage_entered_at=now, created_by=by,
        )
        values = _parse_fields(fields or {}, case=case)
        duplicate_of = values.pop("duplicate_of", None)
        for key, value in values.items():
            setattr(case, key, value)
        safety.apply_safety_rule(case, values)
        case.full_clean(exclude=["policy", "number", "customer"])
        case.save()
        audit.record(
            "case.created", actor=by, object_type="case", object_id=case.pk,
            summary=f"{case.number} opened via {channel}",
            after={"number": case.number, "channel": channel, **_audit_values(case, values)},
        )
        _record_message(
            case, direction=Direction.INBOUND, body=body, by=None, channel=channel,
            is_public=is_public, external_id=external_id, sent_at=sent_at or now,
            author_identity=author_identity, actor=by, opening=True, **(message_extra or {}),
        )
        if duplicate_of is not None:
            _link(case, duplicate_of, LinkKind.DUPLICATE_OF, by)
        indexing.reindex(case)
        if case.assignee_id and by is not None and case.assignee_id != by.pk:
            _notify_assignee(case, by)
        sla.case_opened(case)
        if case.safety:
            evidence = getattr(case, "_safety_evidence", None) or ([by.get_username()] if by else [])
            sla.safety_flagged(case, evidence=evidence)
    return case


def _parse_fields(fields: dict[str, Any], *, case: Case) -> dict[str, Any]:
    """Turn user input (instances, ids or codes) into field values; every problem at once."""
    if "stage" in fields:
        raise ValidationError({"stage": _("The stage changes only through a transition.")})
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            {key: _("Unknown or read-only field.") for key in unknown}
        )
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, raw in fields.items():
        try:
            values[key] = _parse(key, raw, case)
        except ValidationError as exc:
            errors[key] = " ".join(exc.messages)
    if errors:
        raise ValidationError(errors)
    return values


def _parse(key: str, raw: Any, case: Case) -> Any:
    empty = raw is None or raw == ""
    if key in _LOOKUPS:
        if empty:
            return None
        model = _LOOKUPS[key]
        if isinstance(raw, model):
            return raw
        lookup = {"pk": raw} if isinstance(raw, int) or str(raw).isdigit() else {"code": str(raw)}
        obj = model._default_manager.filter(is_active=True, **lookup).first()
        if obj is None:
            raise ValidationError(_("Unknown %(what)s: %(value)s") % {"what": model._meta.verbose_name, "value": raw})
        if key == "category" and getattr(obj, "parent_id", None) is None:
            raise ValidationError(_("Choose a category, not a category group."))
        return obj
    if key == "severity":
        if empty:
            return None
        text = str(raw).upper().removeprefix("S")
        if not text.isdigit() or int(text) not in Severity.values:
            raise ValidationError(_("Severity is S1, S2, S3 or S4."))
        return int(text)
    if key == "safety":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise ValidationError(_("Safety is true or false."))
    if key == "assignee":
        if empty:
            return None
        user_model = get_user_model()
        user: Any
        if isinstance(raw, user_model):
            user = raw
        else:
            lookup = {"pk": raw} if isinstance(raw, int) or str(raw).isdigit() else {"username": str(raw)}
            user = user_model.objects.filter(is_active=True, **lookup).first()
        if user is None or not user.is_active:
            raise ValidationError(_("Unknown or inactive user: %(u)s") % {"u": raw})
        if not user.has_perm("cases.change_case"):
            raise ValidationError(_("%(u)s cannot work on cases.") % {"u": user.get_username()})
        return user
    if key == "resolution_code":
        if empty:
            return ""
        if raw not in ResolutionCode.values:
            raise ValidationError(_("Unknown resolution code: %(c)s") % {"c": raw})
        return raw
    if key == "compensation_amount":
        if empty:
            return None
        try:
            amount = Decimal(str(raw))
        except InvalidOperation as exc:
            raise ValidationError(_("Compensation is an amount, e.g. 500 or 1200.50.")) from exc
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
            raise ValidationError(_("Compensation is an amount between 0 and 9,999,999,999."))
        return amount.quantize(Decimal("0.01"))
    if key == "duplicate_of":
        if empty:
            return None
        master = raw if isinstance(raw, Case) else Case.objects.filter(number=str(raw).strip()).first()
        if master is None:
            raise ValidationError(_("No case numbered %(n)s.") % {"n": raw})
        if case.pk and master.pk == case.pk:
            raise ValidationError(_("A case cannot duplicate itself."))
        return master
    if key == "subject":
        return _require_text(str(raw or ""), "subject", max_length=200)
    if key == "waiting_on":
        value = "" if empty else str(raw)
        if value not in WaitingOn.values:
            raise ValidationError(_("Unknown value: %(v)s") % {"v": raw})
        return value
    if key == "findings":
        text = str(raw or "")
        if len(text) > MAX_BODY:
            raise ValidationError(_("At most %(n)s characters.") % {"n": MAX_BODY})
        return text
    raise ValidationError(_("Unknown field."))  # unreachable: EDITABLE_FIELDS is checked first


def _audit_values(case: Case, keys: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(case, key, None)
        if isinstance(value, Model):
            value = getattr(value, "code", None) or getattr(value, "username", None) or value.pk
        out[key] = value
    return out


def update_case(case: Case, *, by: Any, fields: dict[str, Any], reason: str = "") -> Case:
    """Change a case's fields (never its stage) and audit each change with before and after.

    Removing the personal-safety flag or lowering an S1 case needs a manager's approval
    (``cases.approve_safety_downgrade``) and a written reason; anyone else asks for it with
    ``safety.request_safety_downgrade``.
    """
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.change_case", _("You may not change cases."))
    if case.stage == Stage.CLOSED:
        raise ValidationError(_("A closed case cannot be changed; reopen it first."))
    values = _parse_fields(fields, case=case)
    reason = (reason or "").strip()
    if safety.downgrades_safety(case, values):
        if not by.has_perm("cases.approve_safety_downgrade"):
            raise PermissionDenied(
                _("Removing the safety flag or lowering S1 needs a manager's approval: ask for it on the case.")
            )
        minimum = safety.min_reason_length(case)
        if len(reason) < minimum:
            raise ValidationError(
                {"reason": _("Write why this is not a personal-safety case (at least %(n)s characters).") % {"n": minimum}}
            )
    if values.get("duplicate_of") is not None and not permissions.can_view(by, values["duplicate_of"]):
        raise ValidationError({"duplicate_of": _("No case numbered %(n)s.") % {"n": fields["duplicate_of"]}})
    with transaction.atomic():
        duplicate_of = values.pop("duplicate_of", None)
        keys = list(values)
        if "safety" in values:
            keys.append("severity")
        before = _audit_values(case, keys)
        for key, value in values.items():
            setattr(case, key, value)
        safety.apply_safety_rule(case, values)
        if "compensation_amount" in values and before.get("compensation_amount") != case.compensation_amount:
            # An approval is for an amount: a new amount needs a new approval.
            case.compensation_approved_by = None
            case.compensation_approved_at = None
        case.full_clean(exclude=["policy", "number", "customer"])
        after = _audit_values(case, keys)
        changed = [k for k in keys if before[k] != after[k]]
        if changed:
            case.save()
            audit.record(
                "case.changed", actor=by, object_type="case", object_id=case.pk,
                summary=f"{case.number}: {', '.join(changed)} changed",
                before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                reason=reason,
            )
        if duplicate_of is not None:
            _link(case, duplicate_of, LinkKind.DUPLICATE_OF, by)
        if changed:
            indexing.changed(case, changed)
        if "category" in changed and case.category is not None:
            suggestions.learn(case, "category", case.category.code, by=by)
        if "safety" in changed:
            suggestions.learn(case, "safety", "safety" if case.safety else "not_safety", by=by)
        if "assignee" in changed and case.assignee_id and case.assignee_id != by.pk:
            _notify_assignee(case, by)
        if "safety" in changed and before.get("safety") and not case.safety:
            safety.tell_safety_downgraded(case, by, reason)
        sla.case_changed(case, changed, by=by)
        if "waiting_on" in changed:
            sla.waiting_changed(case)
        if "safety" in changed and case.safety:
            sla.safety_flagged(case, evidence=[by.get_username()])
    return case


def _notify_assignee(case: Case, by: Any) -> None:
    alerts.notify(
        [case.assignee], kind="case.assigned",
        verb=gettext_noop("%(actor)s assigned case %(case)s to you: %(subject)s"),
        params={"actor": by.get_username(), "case": case.number, "subject": case.subject[:80]},
        url=case_url(case),
    )


def _record_message(
    case: Case, *, direction: str, body: str, by: Any | None, channel: str, is_public: bool,
    external_id: str, sent_at: datetime, author_identity: Identity | None, actor: Any | None,
    carries_resolution: bool = False, automatic: bool = False, subject: str = "",
    author_reach: int | None = None, delivery_status: str = DeliveryStatus.RECORDED,
    opening: bool = False,
) -> Message:
    """Store one message and keep the case's clocks in step with it.

    An inbound message may flag the case as personal safety (the safety classifier reads
    every customer message) and ends a wait on the customer; an outbound one that a person
    wrote is a response. ``opening``: the case is being opened, and ``open_case`` starts
    its clocks itself once everything is in place.
    """
    message = Message.objects.create(
        case=case, direction=direction, channel=channel, author_user=by,
        author_identity=author_identity, body=body, is_public=is_public, external_id=external_id,
        sent_at=sent_at, carries_resolution=carries_resolution, automatic=automatic,
        subject=subject[:300], author_reach=author_reach, delivery_status=delivery_status,
    )
    if direction == Direction.OUTBOUND and case.first_response_at is None and not automatic:
        case.first_response_at = sent_at
        case.save(update_fields=["first_response_at", "updated_at"])
    newly_safe: list[str] = []
    if direction == Direction.INBOUND:
        newly_safe = safety.flag_from_text(case, body)
        if case.waiting_on == WaitingOn.CUSTOMER:
            case.waiting_on = WaitingOn.NOBODY
            case.save(update_fields=["waiting_on", "updated_at"])
    audit.record(
        "case.message", actor=actor, object_type="case", object_id=case.pk,
        summary=f"{case.number}: {'outbound' if direction == Direction.OUTBOUND else 'inbound'} message on {channel}"
        + (" (resolution)" if carries_resolution else ""),
        after={"message": message.pk, "direction": direction, "carries_resolution": carries_resolution},
    )
    if opening:
        return message
    indexing.reindex(case, keywords=direction == Direction.INBOUND)
    if direction == Direction.OUTBOUND and not automatic:
        sla.responded(case, at=sent_at)
    elif direction == Direction.INBOUND:
        if newly_safe:
            sla.recompute(case, by=None, why="safety")
            sla.safety_flagged(case, evidence=newly_safe)
        sla.customer_wrote(case, at=sent_at)
    return message


def record_reply(
    case: Case, *, body: str, by: Any, carries_resolution: bool = False, channel: str | None = None,
    delivery_status: str = DeliveryStatus.RECORDED, automatic: bool = False, subject: str = "",
) -> Message:
    """Record our reply to the customer.

    Sending it is the channels app's business: it calls this with ``delivery_status=QUEUED``
    and delivers in a task. Recorded-only replies (a phone call) keep ``RECORDED``.
    """
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.add_message", _("You may not reply to customers."))
    # Tingjian's own automatic messages (a survey invitation) may follow a closed case;
    # people reopen it first.
    if case.stage == Stage.CLOSED and not automatic:
        raise ValidationError(_("The case is closed; reopen it to reply."))
    body = _require_text(body, "body", max_length=MAX_BODY)
    channel = channel or case.origin_channel
    if channel not in ChannelKind.values:
        raise ValidationError({"channel": _("Unknown channel: %(c)s") % {"c": channel}})
    with transaction.atomic():
        return _record_message(
            case, direction=Direction.OUTBOUND, body=body, by=by, channel=channel, is_public=False,
            external_id="", sent_at=clock.now(), author_identity=None, actor=by,
            carries_resolution=carries_resolution, delivery_status=delivery_status,
            automatic=automatic, subject=subject,
        )


def record_customer_message(
    case: Case, *, body: str, by: Any | None, channel: str | None = None, sent_at: datetime | None = None,
    external_id: str = "", is_public: bool = False, author_identity: Identity | None = None,
) -> Message:
    """Record what the customer said (typed in by staff from a call, or from a channel)."""
    if by is not None:
        permissions.ensure_can_view(by, case)
        permissions.ensure_perm(by, "cases.add_message", _("You may not record messages."))
    body = _require_text(body, "body", max_length=MAX_BODY)
    channel = channel or case.origin_channel
    if channel not in ChannelKind.values:
        raise ValidationError({"channel": _("Unknown channel: %(c)s") % {"c": channel}})
    with transaction.atomic():
        return _record_message(
            case, direction=Direction.INBOUND, body=body, by=None, channel=channel,
            is_public=is_public, external_id=external_id, sent_at=sent_at or clock.now(),
            author_identity=author_identity, actor=by,
        )


def add_note(case: Case, *, body: str, by: Any) -> Note:
    """An internal note; each @username mentioned is notified and may then see the case."""
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.add_note", _("You may not write notes."))
    body = _require_text(body, "body", max_length=MAX_BODY)
    names = {m.lower() for m in MENTION.findall(body)}
    user_model = get_user_model()
    mentioned: list[Any] = []
    if names:
        match = Q()
        for name in sorted(names)[:50]:
            match |= Q(username__iexact=name)
        mentioned = list(user_model.objects.filter(match, is_active=True).exclude(pk=by.pk))
    with transaction.atomic():
        note = Note.objects.create(case=case, author=by, body=body, created_at=clock.now())
        Mention.objects.bulk_create([Mention(note=note, user=u) for u in mentioned])
        indexing.reindex(case, keywords=False)
        audit.record(
            "case.note", actor=by, object_type="case", object_id=case.pk,
            summary=f"{case.number}: note added" + (f", mentioning {len(mentioned)}" if mentioned else ""),
            after={"note": note.pk, "mentions": sorted(u.get_username() for u in mentioned)},
        )
        alerts.notify(
            mentioned, kind="case.mention",
            verb=gettext_noop("%(actor)s mentioned you on case %(case)s: %(excerpt)s"),
            params={"actor": by.get_username(), "case": case.number, "excerpt": body[:120]},
            url=case_url(case),
        )
    return note


def approve_compensation(case: Case, *, by: Any) -> Case:
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.approve_compensation", _("Only a manager may approve compensation."))
    if case.compensation_amount is None:
        raise ValidationError(_("There is no compensation amount to approve."))
    if case.stage == Stage.CLOSED:
        raise ValidationError(_("A closed case cannot be changed; reopen it first."))
    with transaction.atomic():
        case.compensation_approved_by = by
        case.compensation_approved_at = clock.now()
        case.save(update_fields=["compensation_approved_by", "compensation_approved_at", "updated_at"])
        audit.record(
            "case.compensation_approved", actor=by, object_type="case", object_id=case.pk,
            summary=f"{case.number}: compensation {case.compensation_amount} approved",
            after={"amount": str(case.compensation_amount)},
        )
    return case


def _link(case: Case, to: Case, kind: str, by: Any | None) -> CaseLink:
    link, created = CaseLink.objects.get_or_create(
        from_case=case, to_case=to, kind=kind, defaults={"created_by": by}
    )
    if created:
        audit.record(
            "case.linked", actor=by, object_type="case", object_id=case.pk,
            summary=f"{case.number} {kind} {to.number}", after={"kind": kind, "to": to.number},
        )
    return link


def link_cases(case: Case, *, to_number: str, kind: str, by: Any) -> CaseLink:
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.change_case", _("You may not change cases."))
    if kind not in LinkKind.values:
        raise ValidationError({"kind": _("Unknown link kind: %(k)s") % {"k": kind}})
    to = Case.objects.filter(number=(to_number or "").strip()).first()
    if to is None or not permissions.can_view(by, to):
        raise ValidationError({"to": _("No case numbered %(n)s.") % {"n": to_number}})
    if to.pk == case.pk:
        raise ValidationError({"to": _("A case cannot be linked to itself.")})
    with transaction.atomic():
        return _link(case, to, kind, by)



def set_delivery_status(
    message: Message, *, status: str, error: str = "", external_id: str | None = None
) -> Message:
    """The outbound task reports how delivery went; an error is kept in plain words."""
    if status not in DeliveryStatus.values:
        raise ValidationError({"status": _("Unknown delivery status: %(s)s") % {"s": status}})
    with transaction.atomic():
        message.delivery_status = status
        message.delivery_error = error[:500]
        fields = ["delivery_status", "delivery_error"]
        if external_id is not None:
            message.external_id = external_id[:255]
            fields.append("external_id")
        message.save(update_fields=fields)
        if status == DeliveryStatus.FAILED:
            audit.record(
                "case.delivery_failed", actor=None, object_type="case", object_id=message.case_id,
                summary=f"message {message.pk}: delivery failed", after={"message": message.pk},
            )
    return message


def usable_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Split case fields from a form or an import into the valid ones and the problems.

    A complaint is never lost because a form sent an unknown branch code: the case opens
    without that field, and the problem is noted on it.
    """
    good: dict[str, Any] = {}
    problems: dict[str, str] = {}
    probe = Case()
    for key, raw in fields.items():
        if key not in EDITABLE_FIELDS or key == "duplicate_of":
            problems[key] = str(_("Unknown or read-only field."))
            continue
        try:
            good[key] = _parse(key, raw, probe)
        except ValidationError as exc:
            problems[key] = " ".join(exc.messages)
    return good, problems


def put_attachment_content(attachment: Attachment, content: bytes) -> None:
    """Give an (unsaved or saved) attachment its bytes, stored under their hash.

    The same bytes arriving twice (a redelivered photo) share one stored file.
    """
    attachment.sha256 = hashlib.sha256(content).hexdigest()
    attachment.size = len(content)
    path = attachment_path(attachment, "")
    if attachment.file.storage.exists(path):
        attachment.file.name = path
    else:
        attachment.file.save(path, ContentFile(content), save=False)


def store_attachment_content(attachment: Attachment, *, content: bytes, content_type: str = "") -> Attachment:
    """Keep the bytes of an attachment that arrived as a platform reference."""
    with transaction.atomic():
        put_attachment_content(attachment, content)
        if content_type:
            attachment.content_type = content_type[:120]
        attachment.save(update_fields=["sha256", "size", "content_type", "file"])
    return attachment
