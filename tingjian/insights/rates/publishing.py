"""Publishing a month's per-10,000 figures, and disputes against them.

Responsible for: freezing every branch's complaints, denominator and figure into a new
``Publication`` version (version 1, then 2, 3… for corrections, each with its reason);
recording a branch's dispute beside its published figure and the publisher's answer; the
audit events and the notifications of all three.

Must never: change or delete a published version (the figures of version N stay what they
were the day it was published, whatever happens to the cases and denominators later), publish
a month that is not over, or change a publication when a dispute is accepted — accepting
says that a correction is due; the correction is a new version published on purpose.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.org.selectors import users_with_role

from ..models import Dispute, DisputeStatus, Publication
from . import figures, months

PUBLISH_PERMISSION = "insights.publish_rates"
DISPUTE_PERMISSION = "insights.dispute_rate"
MAX_TEXT = 4000


def _page_url(month: date, anchor: str = "") -> str:
    return f"{reverse('web:rates')}?month={months.month_text(month)}" + (f"#{anchor}" if anchor else "")


def _text(value: str, field: str, *, required: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({field: required})
    if len(text) > MAX_TEXT:
        raise ValidationError({field: _("Keep it under %(max)s characters.") % {"max": MAX_TEXT}})
    return text


def publish(month: date, *, by: Any, reason: str = "") -> Publication:
    """Freeze ``month``'s figures as its next version. A version after the first corrects the
    one before and needs a ``reason``; identical figures are refused (nothing to correct)."""
    if not by.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("You may not publish the per-10,000 figures."))
    live = figures.live_figures(month)
    if month >= months.current_month() or not months.is_over(month, figures.time_zones(live)):
        raise ValidationError({"month": _("%(month)s is not over yet: a month can be published once it has ended.") % {"month": months.month_text(month)}})
    reason = (reason or "").replace("\r\n", "\n").strip()
    frozen = [figure.as_json() for figure in live]
    now = clock.now()
    try:
        with transaction.atomic():
            latest = Publication.objects.select_for_update().filter(month=month).order_by("-version").first()
            if latest is not None:
                if not reason:
                    raise ValidationError({"reason": _("Version %(version)s is already published: say why a correction is needed.") % {"version": latest.version}})
                if latest.figures == frozen:
                    raise ValidationError({"reason": _("The figures are the same as version %(version)s: there is nothing to correct.") % {"version": latest.version}})
            if len(reason) > MAX_TEXT:
                raise ValidationError({"reason": _("Keep it under %(max)s characters.") % {"max": MAX_TEXT}})
            with transaction.atomic():
                publication = Publication.objects.create(
                    month=month, version=latest.version + 1 if latest else 1, published_at=now,
                    published_by=by, reason=reason, figures=frozen,
                )
            audit.record(
                "insights.rates_published", actor=by, object_type="publication", object_id=publication.pk,
                summary=f"per-10,000 figures of {months.month_text(month)} published as version {publication.version}",
                after={"month": months.month_text(month), "version": publication.version, "figures": frozen},
                reason=reason, at=now,
            )
            recipients = users_with_role("manager", "executive").exclude(pk=by.pk)
            alerts.notify(
                recipients, kind="insights.published",
                verb=gettext_noop("The per-10,000 figures of %(month)s were published (version %(version)s)."),
                params={"month": months.month_text(month), "version": publication.version},
                url=_page_url(month), topic=f"rates:{months.month_text(month)}",
            )
    except IntegrityError as exc:
        # Two people published the same month at the same moment; the other one won.
        raise ValidationError({"month": _("Someone else published this month a moment ago. Reload the page and look again.")}) from exc
    return publication


def file_dispute(publication: Publication, *, branch_id: int, text: str, by: Any) -> Dispute:
    """Record a branch's objection to its figure in ``publication`` (the month's latest version);
    the publishers are told."""
    if not by.has_perm(DISPUTE_PERMISSION):
        raise PermissionDenied(_("You may not dispute the per-10,000 figures."))
    text = _text(text, "text", required=_("Say what is wrong with the figure."))
    if not any(row["branch"] == branch_id for row in publication.figures):
        raise ValidationError({"branch": _("This branch has no figure in that publication.")})
    now = clock.now()
    with transaction.atomic():
        latest = Publication.objects.select_for_update().filter(month=publication.month).order_by("-version").first()
        if latest is None or latest.pk != publication.pk:
            raise ValidationError({"text": _("Version %(old)s was corrected by version %(new)s: dispute the figure of the latest version.") % {"old": publication.version, "new": latest.version if latest else "?"}})
        if Dispute.objects.filter(publication=publication, branch_id=branch_id, status=DisputeStatus.OPEN).exists():
            raise ValidationError({"text": _("This figure already has an open dispute; wait for its answer.")})
        dispute = Dispute.objects.create(publication=publication, branch_id=branch_id, text=text, filed_by=by, filed_at=now)
        audit.record(
            "insights.rate_disputed", actor=by, object_type="dispute", object_id=dispute.pk,
            summary=f"figure of branch {branch_id} in {publication} disputed",
            after={"publication": publication.pk, "version": publication.version, "branch": branch_id, "text": text},
            at=now,
        )
        branch = dispute.branch
        publishers = get_user_model().objects.with_perm(PUBLISH_PERMISSION).filter(is_active=True).exclude(pk=by.pk)
        alerts.notify(
            publishers, kind="insights.dispute",
            verb=gettext_noop("%(branch)s disputes its per-10,000 figure of %(month)s (version %(version)s)."),
            params={"branch": branch.label, "month": months.month_text(publication.month), "version": publication.version},
            url=_page_url(publication.month, f"branch-{branch_id}"), topic=f"rates:{months.month_text(publication.month)}",
        )
    return dispute


def ensure_may_answer(dispute: Dispute, by: Any) -> None:
    """A publisher answers, and never the one who filed it: a dispute is judged by someone else."""
    if not by.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("Only those who publish the figures may answer a dispute."))
    if dispute.filed_by_id == by.pk:
        raise PermissionDenied(_("You filed this dispute; another publisher answers it."))


def answer_dispute(dispute: Dispute, *, accept: bool, answer: str, by: Any) -> Dispute:
    """Accept or reject an open dispute with an answer; the person who filed it is told.

    Accepting changes no publication: the page then says that a correction is due.
    """
    ensure_may_answer(dispute, by)
    answer = _text(answer, "answer", required=_("Write the answer the branch will read."))
    now = clock.now()
    with transaction.atomic():
        locked = Dispute.objects.select_for_update().select_related("publication", "branch", "filed_by").get(pk=dispute.pk)
        if locked.status != DisputeStatus.OPEN:
            raise ValidationError({"answer": _("This dispute was already answered.")})
        locked.status = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
        locked.answer, locked.answered_by, locked.answered_at = answer, by, now
        locked.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        audit.record(
            "insights.dispute_answered", actor=by, object_type="dispute", object_id=locked.pk,
            summary=f"dispute {locked.pk} {locked.status}",
            before={"status": DisputeStatus.OPEN}, after={"status": locked.status, "answer": answer}, at=now,
        )
        month = months.month_text(locked.publication.month)
        verb = (
            gettext_noop("Your dispute of %(branch)s's figure for %(month)s was accepted: a correction is due.")
            if accept else gettext_noop("Your dispute of %(branch)s's figure for %(month)s was rejected.")
        )
        alerts.notify(
            [locked.filed_by], kind="insights.dispute", verb=verb,
            params={"branch": locked.branch.label, "month": month},
            url=_page_url(locked.publication.month, f"branch-{locked.branch_id}"), topic=f"rates:{month}",
        )
    return locked
