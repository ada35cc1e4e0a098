"""Viral risk: storing each public case's score and alerting once per crossing.

Must never: alert twice for one crossing (the row is locked while the score is stored and
``alerted`` says whether this crossing was told), or do unbounded work in one sweep.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.cases.models import Case, Direction, Message
from tingjian.cases.services import case_url

from .. import virality
from ..models import CrisisEvent, Dimension, ViralRisk
from .crises import LIVE, PRIORITY, receivers
from .runs import claim

DEFAULT_THRESHOLD = 70
SWEEP = "viral-sweep"
SWEEP_LIMIT = 200
# A message younger than this may still have a lower id than one not yet committed; the
# watermark does not pass it until it is this old.
SETTLE = timedelta(minutes=2)

VERB = gettext_noop("High viral risk (%(score)s/100) on public complaint %(case)s — %(subject)s: %(reasons)s")


def threshold() -> int:
    return int(getattr(settings, "TINGJIAN_RADAR_VIRAL_THRESHOLD", DEFAULT_THRESHOLD))


def crisis_labels(case_ids: Iterable[int] | None = None) -> list[tuple[int, str]]:
    """(case id, crisis label) for the cases of the live crises, one label per case (in the
    company's language: it is stored in the reasons)."""
    wanted = None if case_ids is None else set(case_ids)
    # Crises of their own, about something (a category, a product, a branch, a channel): a
    # case that merely fell in the same hour as a company-wide rise, or in a spike that is
    # the same cases seen another way, is no part of the story.
    events = sorted(
        CrisisEvent.objects.filter(status__in=LIVE, story__isnull=True).exclude(dimension=Dimension.ALL),
        key=lambda e: (PRIORITY.index(Dimension(e.dimension)), e.started_at),
    )
    labelled: dict[int, str] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for event in events:
            for case_id in event.case_ids or []:
                if (wanted is None or case_id in wanted) and case_id not in labelled:
                    labelled[int(case_id)] = event.label
    return list(labelled.items())


def recompute(case: Case, *, now: datetime | None = None, labels: list[tuple[int, str]] | None = None) -> ViralRisk | None:
    """Score the case now and store it; alert when the score crosses the threshold upward.

    A case without public messages has no score (a stored one is removed).
    """
    now = now or clock.now()
    labels = crisis_labels([case.pk]) if labels is None else labels
    found = virality.signals(case, now=now, crisis_labels=labels)
    if found is None:
        ViralRisk.objects.filter(case=case).delete()
        return None
    score, reasons = virality.score(found)
    limit = threshold()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row = ViralRisk.objects.select_for_update().filter(case=case).first()
                if row is None:
                    row = ViralRisk(case=case, peak_score=0, peak_at=now)
                row.score, row.reasons, row.computed_at = score, reasons, now
                row.next_due_at = virality.next_look(found, now=now)
                row.unanswered_since = found.unanswered_since
                if score >= row.peak_score:
                    row.peak_score, row.peak_at, row.peak_reasons = score, now, reasons
                crossing = score >= limit and not row.alerted
                if score < limit:
                    row.alerted = False
                if crossing:
                    row.alerted, row.alerted_at = True, now
                row.save()
                if crossing:
                    _tell(case, row)
                return row
        except IntegrityError:
            continue  # another worker stored the first score a moment ago
    return ViralRisk.objects.filter(case=case).first()


def _tell(case: Case, row: ViralRisk) -> None:
    people = list(receivers())
    if case.assignee_id:
        people.append(case.assignee)
    with translation.override(settings.LANGUAGE_CODE):
        words = "; ".join(virality.describe_all(row.reasons))
    alerts.notify(
        people, kind="radar.viral", verb=VERB,
        params={"score": row.score, "case": case.number, "subject": case.subject, "reasons": words, "reasons_data": row.reasons},
        url=case_url(case), topic=f"radar.viral:{case.pk}", urgent=case.safety,
    )


def _cases(ids: list[int]) -> list[Case]:
    by_id = {c.pk: c for c in Case.objects.select_related("assignee").filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> str:
    """Recompute the cases with new messages since the last sweep (public ones, or any on a
    case that has a score: a reply lowers it), then those whose score changes with time;
    at most ``limit`` cases."""
    from ..models import RadarRun

    now = now or clock.now()
    run, _created = RadarRun.objects.get_or_create(name=SWEEP, defaults={"due_at": now})
    scored = ViralRisk.objects.values("case_id")
    news = list(
        Message.objects.filter(pk__gt=run.watermark)
        .filter(Q(direction=Direction.INBOUND, is_public=True) | Q(case_id__in=scored))
        .order_by("pk").values_list("pk", "case_id", "created_at")[: limit * 5]
    )
    # A case scored after its message arrived is up to date: it costs nothing this time.
    scored_at = dict(
        ViralRisk.objects.filter(case_id__in={case_id for _pk, case_id, _at in news}).values_list("case_id", "computed_at")
    )
    wanted: list[int] = []
    watermark, settled = run.watermark, True
    for pk, case_id, created_at in news:
        current = scored_at.get(case_id)
        if case_id not in wanted and (current is None or current < created_at):
            if len(wanted) >= limit:
                break
            wanted.append(case_id)
        if settled and created_at <= now - SETTLE:
            watermark = pk
        else:
            settled = False
    fresh = len(wanted)
    if len(wanted) < limit:
        due = (
            ViralRisk.objects.filter(next_due_at__lte=now).exclude(case_id__in=wanted)
            .order_by("next_due_at").values_list("case_id", flat=True)[: limit - len(wanted)]
        )
        wanted.extend(due)
    labels = crisis_labels(wanted) if wanted else []
    for case in _cases(wanted):
        recompute(case, now=now, labels=labels)
    RadarRun.objects.filter(name=SWEEP, watermark__lt=watermark).update(watermark=watermark)
    return f"{fresh} case(s) with news, {len(wanted) - fresh} aged scored"


def periodic_sweep(now: datetime) -> str | None:
    if not claim(SWEEP, now, next_due=now + timedelta(seconds=50)):
        return None
    return "viral risk: " + sweep(now=now)
