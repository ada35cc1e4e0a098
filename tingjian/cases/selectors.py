"""Reading cases: every query a view or endpoint needs, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tingjian.audit.models import AuditEvent
from tingjian.org.models import Branch, Category, Department
from tingjian.org.selectors import department_ids
from tingjian.search import selectors as search_selectors
from tingjian.search.models import Kind

from .models import Case, Message, Note, Stage
from .permissions import visible_cases

SCOPES = ("mine", "departments", "all")


@dataclass
class CaseFilters:
    """What the case list and the API can filter on; each has an index behind it."""

    scope: str = "departments"
    stage: str = ""
    severity: int | None = None
    department: str = ""
    branch: str = ""
    channel: str = ""
    assignee: str = ""
    category: str = ""
    safety: bool | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    q: str = ""
    open_only: bool = False


def case_list(user: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    f = filters or CaseFilters()
    qs = visible_cases(user).select_related(
        "customer", "category", "category__parent", "branch", "department", "assignee"
    )
    if f.scope == "mine":
        qs = qs.filter(assignee=user)
    elif f.scope == "departments":
        qs = qs.filter(department_id__in=department_ids(user))
    if f.stage:
        qs = qs.filter(stage=f.stage)
    if f.open_only:
        qs = qs.exclude(stage=Stage.CLOSED)
    if f.severity:
        qs = qs.filter(severity=f.severity)
    # Codes are resolved in a subquery on the small taxonomy tables, so the case table is
    # filtered on its own indexed foreign keys (measured in bench/case_list.py).
    if f.department:
        qs = qs.filter(department__in=Department.objects.filter(code=f.department).values("pk"))
    if f.branch:
        qs = qs.filter(branch__in=Branch.objects.filter(code=f.branch).values("pk"))
    if f.channel:
        qs = qs.filter(origin_channel=f.channel)
    if f.category:
        categories = Category.objects.filter(Q(code=f.category) | Q(parent__code=f.category))
        qs = qs.filter(category__in=categories.values("pk"))
    if f.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee:
        qs = qs.filter(assignee__in=get_user_model().objects.filter(username=f.assignee).values("pk"))
    if f.safety is not None:
        qs = qs.filter(safety=f.safety)
    tz = timezone.get_current_timezone()
    if f.opened_from:
        qs = qs.filter(opened_at__gte=timezone.make_aware(datetime.combine(f.opened_from, time.min), tz))
    if f.opened_to:
        qs = qs.filter(opened_at__lte=timezone.make_aware(datetime.combine(f.opened_to, time.max), tz))
    if f.q:
        # The search index (either script, any word of the thread, the customer's name or
        # phone), keeping the list's own order and filters.
        text = f.q.strip()[:100]
        match = Q(number__iexact=text)
        cases = search_selectors.matching_refs(text, Kind.CASE)
        customers = search_selectors.matching_refs(text, Kind.CUSTOMER)
        if cases is not None and customers is not None:
            match |= Q(pk__in=RawSQL(*cases)) | Q(customer_id__in=RawSQL(*customers))
        qs = qs.filter(match)
    return qs.order_by("-opened_at", "-id")


def get_case(user: Any, number: str) -> Case:
    """The case if the user may see it; ``Case.DoesNotExist`` otherwise (never a hint it exists)."""
    return (
        visible_cases(user)
        .select_related(
            "customer", "category", "category__parent", "product", "branch", "department",
            "team", "assignee", "root_cause", "policy", "compensation_approved_by", "created_by",
        )
        .get(number=number)
    )


def case_messages(case: Case) -> QuerySet[Message]:
    return (
        case.messages.select_related("author_user", "author_identity")
        .prefetch_related("attachments").order_by("sent_at", "id")
    )


def case_notes(case: Case) -> QuerySet[Note]:
    return case.notes.select_related("author").prefetch_related("mentions").order_by("created_at", "id")


def case_audit(case: Case) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_object("case", case.pk).order_by("at", "id")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "message" | "note" | "event"
    item: Any


def timeline(case: Case) -> list[TimelineEntry]:
    """Messages, notes and audit events of a case, oldest first (three queries)."""
    entries = [TimelineEntry(m.sent_at, "message", m) for m in case_messages(case)]
    entries += [TimelineEntry(n.created_at, "note", n) for n in case_notes(case)]
    entries += [
        TimelineEntry(e.at, "event", e)
        for e in case_audit(case).exclude(action__in=["case.message", "case.note"])
    ]
    entries.sort(key=lambda e: e.at)
    return entries


def customer_cases(user: Any, case: Case) -> QuerySet[Case]:
    """Every case of this case's customer that the user may see, newest first."""
    return cases_of_customer(user, case.customer_id)


def cases_of_customer(user: Any, customer_id: int) -> QuerySet[Case]:
    """Every case of a customer that the user may see (any scope), newest first."""
    return (
        visible_cases(user)
        .filter(customer_id=customer_id)
        .select_related("category", "department")
        .order_by("-opened_at")
    )


def customer_messages(user: Any, customer_id: int) -> QuerySet[Message]:
    """The customer's messages across every channel, in the cases the user may see, newest first."""
    return (
        Message.objects.filter(case__in=visible_cases(user).filter(customer_id=customer_id).values("pk"))
        .select_related("case", "author_user", "author_identity")
        .prefetch_related("attachments")
        .order_by("-sent_at", "-id")
    )


def stage_counts(user: Any) -> dict[str, int]:
    rows = visible_cases(user).values("stage").annotate(n=Count("id"))
    return {row["stage"]: row["n"] for row in rows}


def cases_with_links(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.prefetch_related(Prefetch("links_out"), Prefetch("links_in"))
