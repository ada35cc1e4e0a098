"""Customers and their identities.

Responsible for: creating customers, attaching identities (unique per channel kind),
normalising handles so the same email or phone is recognised however it was typed,
recognising one person across channels (``resolve_contact``), suggesting probable matches,
and the identity half of merges and un-merges (the cases app moves the cases).
Must never: merge two existing customers by itself (it only suggests), or import another
Tingjian app except ``audit`` (it sits at the bottom).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.audit import services as audit

from . import indexing
from .handles import emails_in_text, normalise_email, normalise_phone, phones_in_text
from .models import (
    Customer,
    CustomerMerge,
    HandleMention,
    Identity,
    IdentityKind,
    IdentitySource,
    MatchReason,
    MatchSuggestion,
    SuggestionStatus,
)

MIN_REASON = 10


class IdentityTaken(ValidationError):
    """The handle already belongs to another customer."""


def normalise_handle(kind: str, external_id: str) -> str:
    value = (external_id or "").strip()
    if kind == IdentityKind.EMAIL:
        value = normalise_email(value)
    elif kind == IdentityKind.PHONE:
        value = normalise_phone(value)
    if not value:
        raise ValidationError(_("An identity needs a value."))
    if len(value) > 255:
        raise ValidationError(_("An identity is at most 255 characters."))
    return value


def create_customer(
    *, display_name: str, by: Any | None, language: str = "zh-hant", notes: str = "",
    identities: list[tuple[str, str]] | None = None, source: str = IdentitySource.AGENT,
) -> Customer:
    if by is not None and not by.has_perm("customers.add_customer"):
        raise PermissionDenied(_("You may not add customers."))
    name = display_name.strip()
    if not name:
        raise ValidationError({"display_name": _("A customer needs a name.")})
    with transaction.atomic():
        customer = Customer(display_name=name, language=language, notes=notes)
        customer.full_clean()
        customer.save()
        audit.record(
            "customer.created", actor=by, object_type="customer", object_id=customer.pk,
            summary=f"customer {customer.pk} created",
        )
        for kind, external_id in identities or []:
            add_identity(customer, kind=kind, external_id=external_id, by=by, source=source)
        indexing.reindex(customer)
        return customer


def add_identity(
    customer: Customer, *, kind: str, external_id: str, by: Any | None,
    source: str = IdentitySource.AGENT, unionid: str = "",
) -> Identity:
    if kind not in IdentityKind.values:
        raise ValidationError({"kind": _("Unknown identity kind: %(kind)s") % {"kind": kind}})
    value = normalise_handle(kind, external_id)
    existing = Identity.objects.filter(kind=kind, external_id=value).first()
    if existing is not None:
        if existing.customer_id == customer.pk:
            return existing
        raise IdentityTaken(_("This %(kind)s already belongs to another customer.") % {"kind": existing.get_kind_display()})
    try:
        with transaction.atomic():
            identity = Identity.objects.create(
                customer=customer, kind=kind, external_id=value, source=source, unionid=unionid
            )
            audit.record(
                "customer.identity_added", actor=by, object_type="customer", object_id=customer.pk,
                summary=f"{kind} identity added ({source})", after={"identity": identity.pk, "source": source},
            )
            if kind in (IdentityKind.PHONE, IdentityKind.EMAIL):
                _suggest_from_mentions(customer, kind, value)
            indexing.reindex(customer)
    except IntegrityError as exc:  # lost a race with another writer
        raise IdentityTaken(_("This identity already belongs to another customer.")) from exc
    return identity


def find_or_create_by_identity(
    *, kind: str, external_id: str, display_name: str, by: Any | None, language: str = "zh-hant"
) -> Customer:
    """The customer behind a handle, created on first contact."""
    value = normalise_handle(kind, external_id)
    identity = Identity.objects.select_related("customer").filter(kind=kind, external_id=value).first()
    if identity is not None:
        return identity.customer
    return create_customer(
        display_name=display_name or value, by=by, language=language, identities=[(kind, value)]
    )


def update_customer(customer: Customer, *, by: Any | None, **fields: Any) -> Customer:
    if by is not None and not by.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not change customers."))
    allowed = {"display_name", "language", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        before = {k: getattr(customer, k) for k in fields}
        for key, value in fields.items():
            setattr(customer, key, value)
        customer.full_clean()
        customer.save()
        audit.record(
            "customer.changed", actor=by, object_type="customer", object_id=customer.pk,
            summary="customer changed", before=before, after=dict(fields),
        )
        indexing.reindex(customer)
    return customer


def live_customer(customer: Customer) -> Customer:
    """The customer a merged one now lives on (follows the merge chain)."""
    seen: set[int] = set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


@dataclass
class Resolution:
    """Who wrote, and how we know: ``matched_by`` is identity, unionid, given or new."""

    customer: Customer
    identity: Identity
    matched_by: str
    suggestions: list[MatchSuggestion] = field(default_factory=list)


def resolve_contact(
    *, kind: str, handle: str, display_name: str = "", unionid: str = "",
    given: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (), language: str = "",
) -> Resolution:
    """The one customer behind a channel handle, by deterministic rules only.

    In order: the handle itself; the WeChat unionid (the same person on another official
    account); a phone or email the customer *gave* (a form, the caller's number, the email
    sender). Otherwise a new customer. Given handles nobody holds are attached to the
    customer; one held by a *different* existing customer is never merged silently: it
    becomes a suggestion for an agent.
    """
    value = normalise_handle(kind, handle)
    wanted: list[tuple[str, str]] = []
    for given_kind, given_value in given:
        try:
            wanted.append((given_kind, normalise_handle(given_kind, given_value)))
        except ValidationError:
            continue  # a mistyped phone in a form is no reason to lose the complaint
    with transaction.atomic():
        identity = Identity.objects.select_related("customer").filter(kind=kind, external_id=value).first()
        matched_by = "identity"
        if identity is None:
            customer = None
            source = IdentitySource.CHANNEL
            if unionid:
                twin = Identity.objects.select_related("customer").filter(unionid=unionid).first()
                if twin is not None:
                    customer, matched_by, source = live_customer(twin.customer), "unionid", IdentitySource.UNIONID
            if customer is None:
                for given_kind, given_value in wanted:
                    holder = Identity.objects.select_related("customer").filter(kind=given_kind, external_id=given_value).first()
                    if holder is not None:
                        customer, matched_by = live_customer(holder.customer), "given"
                        break
            if customer is None:
                customer = create_customer(
                    display_name=(display_name or value)[:200], by=None,
                    language=language or "zh-hant", source=IdentitySource.CHANNEL,
                )
                matched_by = "new"
            try:
                identity = add_identity(customer, kind=kind, external_id=value, by=None, source=source, unionid=unionid)
            except IdentityTaken:  # another worker recognised this handle a moment ago
                identity = Identity.objects.select_related("customer").get(kind=kind, external_id=value)
                matched_by = "identity"
        elif unionid and not identity.unionid:
            identity.unionid = unionid
            identity.save(update_fields=["unionid"])
        customer = live_customer(identity.customer)
        if matched_by == "new" and display_name and customer.display_name == value:
            customer.display_name = display_name[:200]
            customer.save(update_fields=["display_name", "updated_at"])
            indexing.reindex(customer)
        suggestions: list[MatchSuggestion] = []
        for given_kind, given_value in wanted:
            holder = Identity.objects.filter(kind=given_kind, external_id=given_value).select_related("customer").first()
            if holder is None:
                add_identity(customer, kind=given_kind, external_id=given_value, by=None, source=IdentitySource.GIVEN)
            elif live_customer(holder.customer).pk != customer.pk:
                made = suggest_match(customer, live_customer(holder.customer), reason=MatchReason.GIVEN_HANDLE, evidence=given_value)
                if made is not None:
                    suggestions.append(made)
        return Resolution(customer=customer, identity=identity, matched_by=matched_by, suggestions=suggestions)


def note_handles_in_text(customer: Customer, text: str) -> list[MatchSuggestion]:
    """Phones and emails the customer wrote in a message.

    A message may well mention somebody else's number ("my husband called you from
    0933…"), so a mentioned handle never becomes an identity. It is remembered; if it
    belongs, or later comes to belong, to another customer, the two are *suggested*.
    """
    suggestions: list[MatchSuggestion] = []
    found = [(IdentityKind.PHONE, v) for v in phones_in_text(text)]
    found += [(IdentityKind.EMAIL, v) for v in emails_in_text(text)]
    for kind, value in found:
        HandleMention.objects.update_or_create(customer=customer, kind=kind, value=value, defaults={"seen_at": clock.now()})
        holder = Identity.objects.filter(kind=kind, external_id=value).select_related("customer").first()
        if holder is not None:
            other = live_customer(holder.customer)
            if other.pk != customer.pk:
                made = suggest_match(customer, other, reason=_mention_reason(kind), evidence=value)
                if made is not None:
                    suggestions.append(made)
    return suggestions


def _mention_reason(kind: str) -> str:
    return MatchReason.PHONE_IN_TEXT if kind == IdentityKind.PHONE else MatchReason.EMAIL_IN_TEXT


def _suggest_from_mentions(customer: Customer, kind: str, value: str) -> list[MatchSuggestion]:
    """A handle just became ``customer``'s: whoever mentioned it before may be the same person."""
    out = []
    for mention in HandleMention.objects.filter(kind=kind, value=value).exclude(customer=customer).select_related("customer"):
        made = suggest_match(live_customer(mention.customer), customer, reason=_mention_reason(kind), evidence=value)
        if made is not None:
            out.append(made)
    return out


def suggest_match(customer: Customer, candidate: Customer, *, reason: str, evidence: str = "") -> MatchSuggestion | None:
    """Record that two customers may be one person, once per pair and reason.

    Nothing is suggested again for a pair an agent already judged "not the same person".
    """
    if customer.pk == candidate.pk or customer.merged_into_id or candidate.merged_into_id:
        return None
    pair = MatchSuggestion.objects.filter(customer__in=[customer, candidate], candidate__in=[customer, candidate])
    if pair.filter(status=SuggestionStatus.DISMISSED).exists() or pair.filter(reason=reason).exists():
        return None
    suggestion = MatchSuggestion.objects.create(
        customer=customer, candidate=candidate, reason=reason, evidence=evidence[:300], created_at=clock.now()
    )
    audit.record(
        "customer.match_suggested", actor=None, object_type="customer", object_id=customer.pk,
        summary=f"customer {customer.pk} may be customer {candidate.pk} ({reason})",
        after={"candidate": candidate.pk, "reason": reason},
    )
    return suggestion


def dismiss_suggestion(suggestion: MatchSuggestion, *, by: Any) -> MatchSuggestion:
    if not by.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not change customers."))
    with transaction.atomic():
        suggestion.status = SuggestionStatus.DISMISSED
        suggestion.decided_by = by
        suggestion.decided_at = clock.now()
        suggestion.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            "customer.match_dismissed", actor=by, object_type="customer", object_id=suggestion.customer_id,
            summary=f"customers {suggestion.customer_id} and {suggestion.candidate_id} are not the same person",
            after={"candidate": suggestion.candidate_id},
        )
    return suggestion


def _require_reason(why: str) -> str:
    text = (why or "").strip()
    if len(text) < MIN_REASON:
        raise ValidationError({"why": _("Say why, in at least %(n)s characters.") % {"n": MIN_REASON}})
    return text


def absorb(survivor: Customer, absorbed: Customer, *, by: Any, why: str, moved_cases: list[int], at: datetime) -> CustomerMerge:
    """The customers half of a merge: identities move, the absorbed customer points at the survivor.

    Called by ``cases.merging.merge_customers`` inside its transaction, after it moved the
    cases (whose ids it passes in, so the merge record can put them back).
    """
    if not by.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not merge customers."))
    why = _require_reason(why)
    if survivor.pk == absorbed.pk:
        raise ValidationError(_("A customer cannot be merged with itself."))
    if survivor.merged_into_id or absorbed.merged_into_id:
        raise ValidationError(_("One of these customers is already merged into another."))
    identity_ids = list(absorbed.identities.values_list("pk", flat=True))
    Identity.objects.filter(pk__in=identity_ids).update(customer=survivor)
    absorbed.merged_into = survivor
    absorbed.save(update_fields=["merged_into", "updated_at"])
    indexing.reindex(absorbed)
    indexing.reindex(survivor)
    merge = CustomerMerge.objects.create(
        survivor=survivor, absorbed=absorbed, merged_by=by, why=why, merged_at=at,
        moved={"identities": identity_ids, "cases": moved_cases},
    )
    MatchSuggestion.objects.filter(
        customer__in=[survivor, absorbed], candidate__in=[survivor, absorbed], status=SuggestionStatus.OPEN
    ).update(status=SuggestionStatus.MERGED, decided_by=by, decided_at=at)
    audit.record(
        "customer.merged", actor=by, object_type="customer", object_id=survivor.pk,
        summary=f"customer {absorbed.pk} merged into {survivor.pk}",
        after={"merge": merge.pk, "absorbed": absorbed.pk, "identities": identity_ids, "cases": moved_cases},
        reason=why,
    )
    return merge


def unabsorb(merge: CustomerMerge, *, by: Any, why: str, at: datetime) -> CustomerMerge:
    """The customers half of an un-merge: the identities go back, the absorbed customer lives again."""
    if not by.has_perm("customers.change_customer"):
        raise PermissionDenied(_("You may not un-merge customers."))
    why = _require_reason(why)
    merge = CustomerMerge.objects.select_for_update().select_related("absorbed", "survivor").get(pk=merge.pk)
    if merge.is_undone:
        raise ValidationError(_("This merge was already undone."))
    later = CustomerMerge.objects.filter(absorbed=merge.survivor, merged_at__gt=merge.merged_at, undone_at__isnull=True)
    if later.exists():
        raise ValidationError(_("The surviving customer was itself merged later; undo that merge first."))
    Identity.objects.filter(pk__in=merge.moved.get("identities", []), customer=merge.survivor).update(customer=merge.absorbed)
    absorbed = merge.absorbed
    absorbed.merged_into = None
    absorbed.save(update_fields=["merged_into", "updated_at"])
    indexing.reindex(absorbed)
    indexing.reindex(merge.survivor)
    merge.undone_by, merge.undone_at, merge.undo_why = by, at, why
    merge.save(update_fields=["undone_by", "undone_at", "undo_why"])
    audit.record(
        "customer.unmerged", actor=by, object_type="customer", object_id=merge.survivor_id,
        summary=f"customer {absorbed.pk} split off again from {merge.survivor_id}",
        after={"merge": merge.pk, "restored": absorbed.pk}, reason=why,
    )
    return merge
