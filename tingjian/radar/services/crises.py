"""Crisis events: recording the spikes ``detection`` finds, alerting once, acknowledging and
closing them (audited).

Must never: open a second live event for the same dimension and key (a constraint; a
spike that lasts updates its event), alert the same cases twice in one breath (spikes of
several dimensions made of the same cases go out as one alert), or let anybody without
``radar.receive_crisis_alerts`` acknowledge or close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.cases.models import Case, ChannelKind
from tingjian.org.models import Branch, Category, Product

from .. import detection
from ..models import CrisisEvent, CrisisStatus, Dimension

RECEIVE = "radar.receive_crisis_alerts"
LIVE = (CrisisStatus.OPEN, CrisisStatus.ACKNOWLEDGED)
EXAMPLES = 10
# A spike not seen again for this long is over: its event closes by itself.
QUIET_AFTER = timedelta(hours=6)
# Spikes whose cases are at least this share the same are one story, told once.
SAME_STORY = 0.5
# Which spike of a story the alert is about: what the complaints are about comes first.
PRIORITY = [Dimension.CATEGORY, Dimension.BRANCH, Dimension.PRODUCT, Dimension.CHANNEL, Dimension.ALL]
LANGUAGES = ("zh-hant", "zh-hans", "en")

VERB = gettext_noop(
    "Crisis radar: %(observed)s new complaints about %(label)s in the last hour, where %(baseline)s are usual (p = %(p)s)."
)
VERB_ALSO = gettext_noop(
    "Crisis radar: %(observed)s new complaints about %(label)s in the last hour, where %(baseline)s are usual (p = %(p)s). Also rising: %(also)s."
)
VERB_ALL = gettext_noop(
    "Crisis radar: %(observed)s new complaints in the last hour across the company, where %(baseline)s are usual (p = %(p)s)."
)


def receivers() -> QuerySet[Any]:
    """Who is told of crises: the holders of ``radar.receive_crisis_alerts`` (managers,
    executives, PR), not superusers by virtue of being superusers."""
    return get_user_model().objects.with_perm(RECEIVE, include_superusers=False)


def crisis_url(event: CrisisEvent) -> str:
    return f"{reverse('web:radar')}#crisis-{event.pk}"


def _names(dimension: str, key: str) -> dict[str, str]:
    """The key's name in each interface language, kept with the event."""
    if dimension == Dimension.ALL:
        return {}
    if dimension == Dimension.CHANNEL:
        names = {}
        for lang in LANGUAGES:
            with translation.override(lang):
                names[lang] = str(ChannelKind(key).label) if key in ChannelKind.values else key
        return names
    models: dict[str, type[Category | Product | Branch]] = {
        Dimension.CATEGORY: Category, Dimension.PRODUCT: Product, Dimension.BRANCH: Branch,
    }
    obj = models[dimension]._default_manager.filter(pk=int(key)).first()
    if obj is None:
        return {}
    return {"zh-hant": obj.name_zh_hant, "zh-hans": obj.name_zh_hans, "en": obj.name_en}


@dataclass
class Recorded:
    opened: list[CrisisEvent] = field(default_factory=list)
    updated: list[CrisisEvent] = field(default_factory=list)
    alerted: int = 0


def _fill(event: CrisisEvent, finding: detection.Finding, cases: list[tuple[int, bool, datetime]], now: datetime) -> None:
    verdict = finding.verdict
    event.window_start, event.window_end = finding.window_start, finding.window_end
    event.last_seen_at = now
    event.observed = verdict.observed
    event.peak_observed = max(event.peak_observed or 0, verdict.observed)
    event.baseline = round(verdict.baseline, 3)
    event.p_value = verdict.p_value
    event.z_score = round(verdict.z_score, 2)
    event.baseline_weeks = finding.weeks
    # The crisis's cases since it started, newest first (the window's, then the earlier).
    ids = [pk for pk, _safety, _opened in cases]
    event.case_ids = (ids + [pk for pk in (event.case_ids or []) if pk not in set(ids)])[: detection.MAX_CASE_IDS]
    event.example_case_ids = event.case_ids[:EXAMPLES]
    event.safety = event.safety or any(safety for _pk, safety, _opened in cases)
    event.series = detection.hourly_series(finding.dimension, finding.key, finding.window_end)


def _record_one(finding: detection.Finding, now: datetime) -> tuple[CrisisEvent, bool]:
    cases = detection.cases_in_window(finding.dimension, finding.key, finding.window_start, finding.window_end)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                event = (
                    CrisisEvent.objects.select_for_update()
                    .filter(dimension=finding.dimension, key=finding.key, status__in=LIVE).first()
                )
                created = event is None
                if event is None:
                    # It started with the first complaint of the window that spiked.
                    started = min((opened for _pk, _safety, opened in cases), default=finding.window_start)
                    event = CrisisEvent(
                        dimension=finding.dimension, key=finding.key, started_at=started,
                        names=_names(finding.dimension, finding.key),
                    )
                _fill(event, finding, cases, now)
                event.save()
                if created:
                    audit.record(
                        "radar.crisis_opened", actor=None, object_type="crisis", object_id=event.pk,
                        summary=f"spike {event.dimension}:{event.key}: {event.observed} vs {event.baseline} usual",
                        after={"observed": event.observed, "baseline": event.baseline, "p_value": event.p_value},
                    )
                return event, created
        except IntegrityError:
            # Another worker opened it a moment ago: update that one instead.
            continue
    raise RuntimeError(f"could not record the spike {finding.dimension}:{finding.key}")


def record(findings: Sequence[detection.Finding], *, now: datetime | None = None) -> Recorded:
    """Open or update one event per finding; alert the new ones, one alert per story."""
    now = now or clock.now()
    result = Recorded()
    for finding in findings:
        event, created = _record_one(finding, now)
        (result.opened if created else result.updated).append(event)
    result.alerted = _alert_new(result.opened, now)
    return result


def _overlap(a: Iterable[int], b: Iterable[int]) -> float:
    first, second = set(a), set(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))


def _alert_new(opened: list[CrisisEvent], now: datetime) -> int:
    """Group the new events into stories and alert each story once, about its main spike.

    A new spike made of the same cases as a live crisis joins that crisis's story (it is
    shown, acknowledged and closed with it) and tells nobody again.
    """
    if not opened:
        return 0
    told = list(
        CrisisEvent.objects.filter(status__in=LIVE, alerted_at__isnull=False)
        .exclude(pk__in=[e.pk for e in opened]).only("case_ids", "story_id")
    )
    stories: list[list[CrisisEvent]] = []
    for event in sorted(opened, key=lambda e: (PRIORITY.index(Dimension(e.dimension)), e.p_value)):
        known = next((other for other in told if _overlap(event.case_ids, other.case_ids) >= SAME_STORY), None)
        if known is not None:
            CrisisEvent.objects.filter(pk=event.pk).update(story_id=known.story_id or known.pk, alerted_at=now)
            continue
        story = next((s for s in stories if _overlap(event.case_ids, s[0].case_ids) >= SAME_STORY), None)
        if story is None:
            stories.append([event])
        else:
            story.append(event)
    people = list(receivers())
    for story in stories:
        main = story[0]
        _tell(story, people)
        CrisisEvent.objects.filter(pk=main.pk).update(alerted_at=now)
        CrisisEvent.objects.filter(pk__in=[e.pk for e in story[1:]]).update(alerted_at=now, story=main)
    return len(stories)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value else "0"


def _tell(story: list[CrisisEvent], people: list[Any]) -> None:
    main = story[0]
    examples = list(Case.objects.filter(pk__in=main.example_case_ids).values_list("number", flat=True))
    # Parameters are shown as stored: names in the company's language.
    with translation.override(settings.LANGUAGE_CODE):
        label = main.label
        also = ", ".join(e.label for e in story[1:])
    params = {
        "observed": main.observed, "baseline": _number(main.baseline), "p": f"{main.p_value:.1e}",
        "label": label, "also": also, "examples": examples, "crisis": main.pk,
        "dimension": main.dimension, "key": main.key,
        "window": f"{formats.date_format(main.window_start.astimezone(detection.local_zone()), 'Y-m-d H:i')}–"
        f"{main.window_end.astimezone(detection.local_zone()):%H:%M}",
    }
    verb = VERB_ALL if main.dimension == Dimension.ALL else VERB_ALSO if also else VERB
    alerts.notify(
        people, kind="radar.spike", verb=verb, params=params, url=crisis_url(main),
        topic=f"radar.crisis:{main.pk}", urgent=any(e.safety for e in story),
    )


# ---------------------------------------------------------------- people acting on a crisis


def _ensure_may_act(by: Any) -> None:
    if by is None or not by.has_perm(RECEIVE):
        raise PermissionDenied(_("Only the people alerted of crises may acknowledge or close them."))


def _story(event_pk: int) -> list[CrisisEvent]:
    """The crisis and the live spikes that are part of it, locked, the crisis first."""
    rows = list(
        CrisisEvent.objects.select_for_update(of=("self",)).select_related("acknowledged_by")
        .filter(Q(pk=event_pk) | Q(story_id=event_pk, status__in=LIVE)).order_by("pk")
    )
    return sorted(rows, key=lambda e: e.pk != event_pk)


def acknowledge(event: CrisisEvent, *, by: Any) -> CrisisEvent:
    """Someone takes the crisis (and the spikes that are part of it): acknowledged once,
    audited. A second acknowledgement or one of a closed crisis is refused with who did it
    and when; nothing changes then."""
    _ensure_may_act(by)
    with transaction.atomic():
        current, *related = _story(event.pk)
        if current.status == CrisisStatus.CLOSED:
            raise ValidationError(_("This crisis is already closed."))
        if current.status == CrisisStatus.ACKNOWLEDGED:
            who = current.acknowledged_by.get_username() if current.acknowledged_by else "—"
            at = formats.date_format(timezone.localtime(current.acknowledged_at), "Y-m-d H:i") if current.acknowledged_at else ""
            raise ValidationError(_("Already acknowledged by %(name)s at %(at)s.") % {"name": who, "at": at})
        now = clock.now()
        taken = [e for e in [current, *related] if e.status == CrisisStatus.OPEN]
        for item in taken:
            item.status, item.acknowledged_at, item.acknowledged_by = CrisisStatus.ACKNOWLEDGED, now, by
            item.save(update_fields=["status", "acknowledged_at", "acknowledged_by"])
        audit.record(
            "radar.crisis_acknowledged", actor=by, object_type="crisis", object_id=current.pk,
            summary=f"crisis {current.dimension}:{current.key} acknowledged",
            before={"status": CrisisStatus.OPEN}, after={"status": CrisisStatus.ACKNOWLEDGED, "crises": [e.pk for e in taken]},
        )
    return current


def close(event: CrisisEvent, *, by: Any, note: str = "") -> CrisisEvent:
    """The crisis (and the spikes that are part of it) is over, or was no crisis: closed with
    an optional note, audited."""
    _ensure_may_act(by)
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("At most 500 characters.")})
    with transaction.atomic():
        current, *related = _story(event.pk)
        if current.status == CrisisStatus.CLOSED:
            raise ValidationError(_("This crisis is already closed."))
        before = current.status
        now = clock.now()
        closing = [current, *related]
        for item in closing:
            _close(item, by=by, note=note, now=now)
        audit.record(
            "radar.crisis_closed", actor=by, object_type="crisis", object_id=current.pk,
            summary=f"crisis {current.dimension}:{current.key} closed", reason=note,
            before={"status": before}, after={"status": CrisisStatus.CLOSED, "crises": [e.pk for e in closing]},
        )
    return current


def _close(event: CrisisEvent, *, by: Any, note: str, now: datetime) -> None:
    event.status, event.closed_at, event.closed_by, event.close_note = CrisisStatus.CLOSED, now, by, note
    event.save(update_fields=["status", "closed_at", "closed_by", "close_note"])


def close_quiet(*, now: datetime | None = None) -> int:
    """Close, as Tingjian, the crises whose spike has not been seen for ``QUIET_AFTER``, so
    a new spike of the same key later is a new crisis that alerts again."""
    now = now or clock.now()
    closed = 0
    for pk in CrisisEvent.objects.filter(status__in=LIVE, last_seen_at__lt=now - QUIET_AFTER).values_list("pk", flat=True):
        with transaction.atomic():
            event = CrisisEvent.objects.select_for_update().filter(pk=pk, status__in=LIVE, last_seen_at__lt=now - QUIET_AFTER).first()
            if event is None:
                continue
            before = event.status
            _close(event, by=None, note="Back to normal: no spike for 6 hours.", now=now)
            audit.record(
                "radar.crisis_closed", actor=None, object_type="crisis", object_id=event.pk,
                summary=f"crisis {event.dimension}:{event.key} closed: back to normal",
                before={"status": before}, after={"status": CrisisStatus.CLOSED},
            )
            closed += 1
    return closed
