"""Surveys: the customer's answer, what it tells us, and QA's follow-up of a low score.

Responsible for: recording one answer per invitation (the satisfaction score with one
click, then optionally a recommendation score and a comment, until the answer is
complete), analysing the comment like complaint text, opening exactly one follow-up for
QA when the customer is unhappy or mentions their safety (with a note on the case and a
notification), and QA taking and resolving follow-ups, audited. ``sending`` invites.
Must never: change a completed answer or a satisfaction score once given, act on a link
that is unknown, expired or never sent, put the customer's words in a case note (a note's
@names notify staff), or log a token or a comment.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.cases import services as case_services
from tingjian.org.roles import Role
from tingjian.org.selectors import users_with_role
from tingjian.org.services import system_user
from tingjian.textintel import learning
from tingjian.textintel.keywords import keywords as find_keywords
from tingjian.textintel.safety import SAFETY, classify_safety

from . import sending, tasks
from .errors import AlreadyAnswered, LinkExpired, LinkNotFound
from .models import Answer, FollowUp, FollowUpStatus, Invitation, InvitationStatus

logger = logging.getLogger(__name__)

CHANGE_FOLLOW_UP = "surveys.change_followup"
LOW_CSAT = 2  # 1–2 of 5: unhappy
LOW_NPS = 6  # 0–6 of 10: a detractor
MAX_COMMENT = 2000
MAX_RESOLUTION = 2000
# Comments whose analysis task was lost are analysed by the sweep after this long.
ANALYSIS_GRACE = timedelta(minutes=5)


# ----------------------------------------------------------------------------- the link


def open_link(token: str, *, for_update: bool = False) -> Invitation:
    """The invitation behind a link, or the reason it cannot be used (nothing changes)."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        raise LinkNotFound()
    qs = Invitation.objects.select_related("case")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.filter(token_hash=sending.hash_token(token)).first()
    if invitation is None or invitation.status in (InvitationStatus.SKIPPED, InvitationStatus.PENDING):
        # An invitation never sent has a link nobody was given.
        raise LinkNotFound()
    if invitation.expires_at <= clock.now():
        raise LinkExpired()
    return invitation


def _score(value: Any, *, field: str, low: int, high: int, required: bool) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        if required:
            raise ValidationError({field: _("Choose a score.")})
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValidationError({field: _("A score is a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}})
    return int(text)


def _existing_answer(invitation: Invitation) -> Answer | None:
    return Answer.objects.filter(invitation=invitation).first()


def record_csat(token: str, *, score: Any) -> Answer:
    """The customer's one click: their satisfaction, 1–5. It cannot be changed afterwards."""
    csat = _score(score, field="csat", low=1, high=5, required=True)
    with transaction.atomic():
        invitation = open_link(token, for_update=True)
        existing = _existing_answer(invitation)
        if existing is not None:
            raise AlreadyAnswered(complete=existing.is_complete)
        answer = Answer.objects.create(invitation=invitation, csat=csat, answered_at=clock.now())
        if csat is not None and csat <= LOW_CSAT:
            _follow_up(answer, ["csat"])
    return answer


def complete(token: str, *, nps: Any, comment: str) -> Answer:
    """The thank-you step: an optional recommendation score and comment; then it is final."""
    recommendation = _score(nps, field="nps", low=0, high=10, required=False)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": _("At most %(n)s characters, please (you wrote %(got)s).") % {"n": MAX_COMMENT, "got": len(comment)}})
    if recommendation is None and not comment:
        raise ValidationError(_("Choose a score or write a comment, or simply close this page: your rating is already saved."))
    with transaction.atomic():
        invitation = open_link(token, for_update=True)
        answer = _existing_answer(invitation)
        if answer is None:
            raise ValidationError(_("First choose how satisfied you are."))
        if answer.is_complete:
            raise AlreadyAnswered(complete=True)
        answer.nps, answer.comment, answer.completed_at = recommendation, comment, clock.now()
        answer.save(update_fields=["nps", "comment", "completed_at"])
        if recommendation is not None and recommendation <= LOW_NPS:
            _follow_up(answer, ["nps"])
        if comment:
            transaction.on_commit(lambda: tasks.enqueue_analysis(answer.pk))
    return answer


# ----------------------------------------------------------------------------- analysis


def analyse(answer_id: int) -> str:
    """Sentiment, keywords and safety of the comment, as for a complaint's text (idempotent)."""
    answer = Answer.objects.filter(pk=answer_id).only("comment", "analysed_at").first()
    if answer is None or answer.analysed_at is not None or not answer.comment.strip():
        return "nothing to analyse"
    text = answer.comment
    sentiment = learning.predict("sentiment", text).label
    words = find_keywords(text)
    unsafe = classify_safety(text).label == SAFETY
    with transaction.atomic():
        locked = Answer.objects.select_for_update().select_related("invitation__case").get(pk=answer_id)
        if locked.analysed_at is not None:
            return "analysed already"
        locked.sentiment, locked.keywords, locked.safety, locked.analysed_at = sentiment, words, unsafe, clock.now()
        locked.save(update_fields=["sentiment", "keywords", "safety", "analysed_at"])
        if unsafe:
            _follow_up(locked, ["safety"])
    return f"analysed: {sentiment}{', safety' if unsafe else ''}"


def _analyse_missed() -> str:
    """Comments whose analysis task was lost (the queue was down) are analysed here."""
    before = clock.now() - ANALYSIS_GRACE
    missed = list(
        Answer.objects.filter(analysed_at__isnull=True, completed_at__lt=before).exclude(comment="")
        .values_list("pk", flat=True)[:20]
    )
    for answer_id in missed:
        analyse(answer_id)
    return f"surveys: {len(missed)} comments analysed late"


# ----------------------------------------------------------------------------- low scores


def scores_text(answer: Answer) -> str:
    parts = []
    if answer.csat is not None:
        parts.append(f"CSAT {answer.csat}/5")
    if answer.nps is not None:
        parts.append(f"NPS {answer.nps}/10")
    return ", ".join(parts)


def follow_ups_url() -> str:
    return reverse("web:survey-follow-ups")


def _follow_up(answer: Answer, reasons: list[str]) -> FollowUp:
    """Open the answer's one follow-up, or add reasons to it; in the caller's transaction."""
    case = answer.invitation.case
    existing = FollowUp.objects.select_for_update().filter(answer=answer).first()
    now = clock.now()
    if existing is not None:
        added = [r for r in reasons if r not in existing.reasons]
        if not added:
            return existing
        existing.reasons = [*existing.reasons, *added]
        existing.save(update_fields=["reasons"])
        follow_up, opened = existing, False
    else:
        follow_up = FollowUp.objects.create(case=case, answer=answer, reasons=list(reasons), opened_at=now)
        added, opened = list(reasons), True
    audit.record(
        "survey.follow_up_opened" if opened else "survey.follow_up_reasons",
        actor=None, object_type="case", object_id=case.pk,
        summary=f"{case.number}: survey follow-up {follow_up.pk} ({', '.join(follow_up.reasons)})",
        after={"follow_up": follow_up.pk, "reasons": follow_up.reasons, "csat": answer.csat, "nps": answer.nps},
    )
    _note_on_case(answer, added)
    if opened or SAFETY in added:
        alerts.notify(
            users_with_role(Role.QA), kind="surveys.low_score",
            verb=gettext_noop("Case %(case)s: the customer's survey needs a follow-up (%(score)s)")
            if SAFETY not in added else
            gettext_noop("Case %(case)s: the customer's survey comment mentions personal safety (%(score)s)"),
            params={"case": case.number, "score": scores_text(answer) or "—"},
            url=follow_ups_url(), topic=f"surveys.follow_up:{follow_up.pk}", urgent=SAFETY in added,
        )
    return follow_up


def _note_on_case(answer: Answer, reasons: list[str]) -> None:
    # Written once, in the company's language: a note is stored text, not translated when read.
    with translation.override(settings.LANGUAGE_CODE):
        lines = [_("Customer survey: %(score)s.") % {"score": scores_text(answer) or "—"}]
        if SAFETY in reasons:
            lines.append(_("The customer's comment mentions personal safety: read it in the survey panel."))
        elif answer.comment:
            lines.append(_("The customer also left a comment: read it in the survey panel."))
        lines.append(_("A follow-up is waiting for QA."))
    case_services.add_note(answer.invitation.case, body=" ".join(lines), by=system_user())


# ----------------------------------------------------------------------------- QA's follow-ups


def take_follow_up(follow_up: FollowUp, *, by: Any) -> FollowUp:
    """QA takes a follow-up, so others know it is in hand (or takes it over)."""
    if not by.has_perm(CHANGE_FOLLOW_UP):
        raise PermissionDenied(_("You may not work on survey follow-ups."))
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
        if locked.status != FollowUpStatus.OPEN:
            raise ValidationError(_("This follow-up is done already."))
        if locked.taken_by_id == by.pk:
            return locked
        before = locked.taken_by_id
        locked.taken_by, locked.taken_at = by, clock.now()
        locked.save(update_fields=["taken_by", "taken_at"])
        audit.record(
            "survey.follow_up_taken", actor=by, object_type="case", object_id=locked.case_id,
            summary=f"{locked.case.number}: survey follow-up {locked.pk} taken",
            before={"taken_by": before}, after={"taken_by": by.pk},
        )
    return locked


def resolve_follow_up(follow_up: FollowUp, *, by: Any, note: str) -> FollowUp:
    """Close a follow-up with what was done (called the customer, apologised…)."""
    if not by.has_perm(CHANGE_FOLLOW_UP):
        raise PermissionDenied(_("You may not work on survey follow-ups."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write what was done for the customer.")})
    if len(note) > MAX_RESOLUTION:
        raise ValidationError({"note": _("At most %(n)s characters (got %(got)s).") % {"n": MAX_RESOLUTION, "got": len(note)}})
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().select_related("case").get(pk=follow_up.pk)
        if locked.status != FollowUpStatus.OPEN:
            raise ValidationError(_("This follow-up is done already."))
        now = clock.now()
        locked.status, locked.done_by, locked.done_at, locked.resolution = FollowUpStatus.DONE, by, now, note
        if locked.taken_by_id is None:
            locked.taken_by, locked.taken_at = by, now
        locked.save(update_fields=["status", "done_by", "done_at", "resolution", "taken_by", "taken_at"])
        audit.record(
            "survey.follow_up_done", actor=by, object_type="case", object_id=locked.case_id,
            summary=f"{locked.case.number}: survey follow-up {locked.pk} done",
            before={"status": FollowUpStatus.OPEN}, after={"status": FollowUpStatus.DONE}, reason=note[:500],
        )
    return locked


# ----------------------------------------------------------------------------- every minute


def periodic_work() -> str:
    """Called by the minute tick (ops.periodic): invite, re-send, analyse what was missed."""
    return "; ".join([sending.sweep(), _analyse_missed()])
