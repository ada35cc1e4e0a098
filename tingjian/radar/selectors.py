"""Reading the crisis radar: crises, viral risks and the unanswered public posts.

The dashboard and the weekly report read ``open_crises``, ``crises_between`` and
``high_risk_cases`` (plain data); the radar pages read the querysets below, scoped to the
cases the reader may see (``cases.permissions.visible_cases``). Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _

from tingjian import clock
from tingjian.cases.models import Case, CloseReason, DeliveryStatus, Direction, Message
from tingjian.cases.permissions import visible_cases

from . import virality
from .models import CrisisEvent, CrisisStatus, Dimension, ViralRisk

LIVE = (CrisisStatus.OPEN, CrisisStatus.ACKNOWLEDGED)
VIEW = "radar.view_radar"
RECEIVE = "radar.receive_crisis_alerts"


@dataclass(frozen=True)
class CrisisView:
    title: str
    started_at: datetime
    dimension: str
    label: str
    count: int
    baseline: float
    url: str
    id: int = 0
    status: str = ""
    safety: bool = False
    p_value: float = 1.0
    last_seen_at: datetime | None = None


@dataclass(frozen=True)
class RiskView:
    case_number: str
    score: int
    reasons: list[str]
    url: str
    subject: str = ""
    safety: bool = False
    computed_at: datetime | None = None
    reason_data: list[dict[str, Any]] = field(default_factory=list)


def crisis_title(event: CrisisEvent) -> str:
    values = {"label": event.label, "count": event.peak_observed, "baseline": f"{event.baseline:.1f}"}
    if event.dimension == Dimension.ALL:
        return _("Spike in all complaints: %(count)s in an hour (usually %(baseline)s)") % values
    return _("Spike: %(label)s — %(count)s complaints in an hour (usually %(baseline)s)") % values


def _crisis_view(event: CrisisEvent) -> CrisisView:
    return CrisisView(
        title=crisis_title(event), started_at=event.started_at, dimension=event.dimension, label=event.label,
        count=event.peak_observed, baseline=event.baseline, url=f"{reverse('web:radar')}#crisis-{event.pk}",
        id=event.pk, status=event.status, safety=event.safety, p_value=event.p_value, last_seen_at=event.last_seen_at,
    )


# A crisis of its own, not a spike that is part of another one (same cases, another
# dimension), unless that one is closed already.
MAIN = Q(story__isnull=True) | ~Q(story__status__in=LIVE)


def open_crises(*, limit: int = 10) -> list[CrisisView]:
    """The crises not closed yet, newest first (the dashboard's box); the spikes that are
    part of one are left out (the crisis's page lists them)."""
    events = CrisisEvent.objects.filter(MAIN, status__in=LIVE).order_by("-started_at", "-id")[:limit]
    return [_crisis_view(e) for e in events]


def crises_between(start: datetime, end: datetime) -> list[CrisisView]:
    """The crises that were spiking at some time in [start, end) — open or closed since —
    oldest first (the weekly report's list); spikes that were part of one are left out."""
    events = CrisisEvent.objects.filter(
        story__isnull=True, started_at__lt=end, last_seen_at__gte=start,
    ).order_by("started_at", "id")
    return [_crisis_view(e) for e in events]


def _risk_view(row: ViralRisk, *, peak: bool = False) -> RiskView:
    reasons = row.peak_reasons if peak else row.reasons
    return RiskView(
        case_number=row.case.number, score=row.peak_score if peak else row.score,
        reasons=virality.describe_all(reasons), url=reverse("web:case-detail", args=[row.case.number]),
        subject=row.case.subject, safety=row.case.safety, computed_at=row.peak_at if peak else row.computed_at,
        reason_data=list(reasons),
    )


def high_risk_cases(*, since: datetime | None = None, limit: int = 10, user: Any = None) -> list[RiskView]:
    """The public complaints most likely to spread.

    Without ``since``: by today's score, highest first. With ``since`` (a report's period):
    the cases whose score peaked at or above the alert threshold since then, with their
    peak score and the reasons at the peak. ``user``: only the cases they may see.
    """
    from .services.risk import threshold

    rows = ViralRisk.objects.select_related("case")
    if user is not None:
        rows = rows.filter(case__in=visible_cases(user))
    if since is None:
        return [_risk_view(r) for r in rows.filter(score__gt=0).order_by("-score", "case_id")[:limit]]
    rows = rows.filter(peak_at__gte=since, peak_score__gte=threshold()).order_by("-peak_score", "peak_at")
    return [_risk_view(r, peak=True) for r in rows[:limit]]


# ------------------------------------------------------------------------------ the pages


def may_view(user: Any) -> bool:
    return bool(user.has_perm(VIEW))


def may_act(user: Any) -> bool:
    return bool(user.has_perm(RECEIVE))


def live_crises() -> QuerySet[CrisisEvent]:
    """The live crises, each with ``live_related``: the live spikes that are part of it."""
    related = Prefetch(
        "related", queryset=CrisisEvent.objects.filter(status__in=LIVE).order_by("dimension", "-observed"),
        to_attr="live_related",
    )
    return (
        CrisisEvent.objects.filter(MAIN, status__in=LIVE).select_related("acknowledged_by")
        .prefetch_related(related).order_by("-started_at", "-id")
    )


def recently_closed(*, days: int = 7) -> QuerySet[CrisisEvent]:
    since = clock.now() - timedelta(days=days)
    return (
        CrisisEvent.objects.filter(status=CrisisStatus.CLOSED, closed_at__gte=since, story__isnull=True)
        .select_related("acknowledged_by", "closed_by").order_by("-closed_at", "-id")
    )


def crisis(pk: int) -> CrisisEvent:
    return CrisisEvent.objects.get(pk=pk)


def visible_examples(user: Any, events: Iterable[CrisisEvent]) -> dict[int, Case]:
    """The example cases of ``events`` that ``user`` may see, by id (one query)."""
    ids = {pk for event in events for pk in (event.example_case_ids or [])}
    if not ids:
        return {}
    return {c.pk: c for c in visible_cases(user).filter(pk__in=ids).only("pk", "number", "subject", "opened_at", "safety")}


def _scoped(user: Any) -> Q:
    """Cases the user may see, as a condition on ``case`` (no subquery for who sees all)."""
    if user.has_perm("cases.view_all_cases"):
        return Q()
    return Q(case__in=visible_cases(user))


def unanswered_messages(user: Any) -> QuerySet[Message]:
    """Every public message from a customer with no reply after it, oldest first, with the
    case's viral risk (``risk``, None when not scored yet). Replies: any a person sent on the
    case at or after the message that did not fail. Spam is left out."""
    replied = Message.objects.filter(
        case=OuterRef("case"), direction=Direction.OUTBOUND, automatic=False, sent_at__gte=OuterRef("sent_at"),
    ).exclude(delivery_status=DeliveryStatus.FAILED)
    risk = ViralRisk.objects.filter(case=OuterRef("case")).values("score")[:1]
    return (
        Message.objects.filter(_scoped(user), direction=Direction.INBOUND, is_public=True)
        .exclude(case__close_reason=CloseReason.SPAM)
        .filter(~Exists(replied))
        .annotate(risk=Subquery(risk))
        .select_related("case", "case__branch", "case__assignee", "author_identity")
        .order_by("sent_at", "id")
    )


def risk_rows(user: Any, *, min_score: int = 0) -> QuerySet[ViralRisk]:
    """Scored cases the user may see, highest risk first."""
    return (
        ViralRisk.objects.filter(_scoped(user), score__gte=min_score)
        .select_related("case", "case__branch", "case__assignee")
        .order_by("-score", "case_id")
    )


def reasons_in_words(row: ViralRisk) -> list[str]:
    return virality.describe_all(row.reasons)
