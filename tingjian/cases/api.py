"""The cases part of REST API v1: routers the api app collects (STYLE rule 7).

Thin endpoints: parse with the schemas below, call one selector, service or the workflow
engine, shape the answer. Errors (``Case.DoesNotExist``, ``PermissionDenied``,
``ValidationError``, ``TransitionRefused``) are raised, never rendered here: the api app
turns each into problem+json once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, cast

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import model_validator

from tingjian import clock as wall_clock
from tingjian.customers import api as customers_api
from tingjian.customers import selectors as customer_selectors
from tingjian.sla import selectors as sla_selectors
from tingjian.sla.models import Clock, ClockKind

from . import permissions, selectors, services, workflow
from .models import Case, ChannelKind, Direction, Message, Note, Stage
from .permissions import visible_cases

router = Router()
customer_router = Router()

MAX_BODY = services.MAX_BODY


# Schemas: what goes in


class CaseListQuery(Schema):
    """The case list's filters (the same as the UI's), plus paging."""

    scope: Literal["all", "departments", "mine"] = Field(
        "all", description="all: every case you may see; departments: your departments'; mine: assigned to you"
    )
    stage: Stage | None = None
    severity: int | None = Field(None, ge=1, le=4, description="1 (S1, personal safety) to 4")
    department: str = Field("", max_length=50, description="department code")
    branch: str = Field("", max_length=50, description="branch code")
    channel: ChannelKind | None = None
    assignee: str = Field("", max_length=150, description="username, or `none` for unassigned")
    category: str = Field("", max_length=50, description="category or category-group code")
    safety: bool | None = None
    open_only: bool = False
    q: str = Field("", max_length=100, description="case number, part of the subject or customer name")
    opened_from: date | None = None
    opened_to: date | None = None
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


class CaseCreate(Schema):
    """Open a case: for an existing customer (`customer`) or a new one (`new_customer`)."""

    model_config = {"extra": "forbid"}

    customer: int | None = Field(None, description="id of an existing customer")
    new_customer: customers_api.CustomerIn | None = None
    subject: str = Field(..., min_length=1, max_length=200)
    channel: ChannelKind
    body: str = Field(..., min_length=1, max_length=MAX_BODY, description="the customer's first message")
    fields: dict[str, Any] = Field(default_factory=dict, description="optional case fields, as in PATCH")

    @model_validator(mode="after")
    def _one_customer(self) -> CaseCreate:
        if (self.customer is None) == (self.new_customer is None):
            raise ValueError("give exactly one of `customer` and `new_customer`")
        return self


class CasePatch(Schema):
    """Fields to change; send only those that change. The stage is not here: use transitions."""

    model_config = {"extra": "forbid"}

    subject: str | None = Field(None, min_length=1, max_length=200)
    category: str | int | None = Field(None, description="code or id")
    product: str | int | None = Field(None, description="code or id")
    branch: str | int | None = Field(None, description="code or id")
    department: str | int | None = Field(None, description="code or id")
    team: str | int | None = Field(None, description="code or id")
    severity: int | str | None = Field(None, description="1–4 or S1–S4")
    safety: bool | None = None
    assignee: str | int | None = Field(None, description="username or id; null to unassign")
    findings: str | None = Field(None, max_length=MAX_BODY)
    root_cause: str | int | None = Field(None, description="code or id")
    resolution_code: str | None = None
    compensation_amount: Decimal | None = None
    duplicate_of: str | None = Field(None, max_length=20, description="number of the master case")


class TransitionIn(Schema):
    model_config = {"extra": "forbid"}

    to: Stage
    transition: str | None = Field(None, max_length=64, description="transition id, when several lead to `to`")
    reason: str = Field("", max_length=2000)
    fields: dict[str, Any] = Field(default_factory=dict, description="fields set first, in the same transaction")
    checklist: dict[str, bool] = Field(default_factory=dict, description="QA checklist item id → checked")
    override: bool = Field(False, description="force past failed guards (needs the override permission and a reason)")


class MessageIn(Schema):
    model_config = {"extra": "forbid"}

    body: str = Field(..., min_length=1, max_length=MAX_BODY)
    direction: Literal["out", "in"] = Field("out", description="out: our reply; in: what the customer said")
    carries_resolution: bool = Field(False, description="this reply carries the resolution (outbound only)")
    channel: ChannelKind | None = Field(None, description="defaults to the case's channel")

    @model_validator(mode="after")
    def _resolution_is_ours(self) -> MessageIn:
        if self.direction == "in" and self.carries_resolution:
            raise ValueError("only an outbound reply carries the resolution")
        return self


class NoteIn(Schema):
    model_config = {"extra": "forbid"}

    body: str = Field(..., min_length=1, max_length=MAX_BODY)


# Schemas: what comes out


class CustomerRef(Schema):
    id: int
    name: str


class CaseSummary(Schema):
    number: str
    subject: str
    stage: Stage
    severity: int | None
    safety: bool
    channel: ChannelKind
    customer: CustomerRef
    category: str | None
    department: str | None
    branch: str | None
    assignee: str | None
    opened_at: datetime
    stage_entered_at: datetime


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseSummary]


class CaseFields(Schema):
    category: str | None
    product: str | None
    branch: str | None
    department: str | None
    team: str | None
    severity: int | None
    safety: bool
    assignee: str | None
    findings: str
    root_cause: str | None
    resolution_code: str
    compensation_amount: Decimal | None
    compensation_approved_by: str | None
    compensation_approved_at: datetime | None


class LinkOut(Schema):
    kind: str
    direction: Literal["out", "in"]
    case: str


class GuardOut(Schema):
    guard: str
    requirement: str
    met: bool
    hard: bool


class TransitionOption(Schema):
    id: str
    label: str
    to: Stage
    role_allowed: bool
    ready: bool
    can_override: bool
    requires_reason: bool
    guards: list[GuardOut]


class CaseDetail(CaseSummary):
    policy_version: int
    close_reason: str
    reopen_count: int
    first_response_at: datetime | None
    closed_at: datetime | None
    fields: CaseFields
    links: list[LinkOut]
    available_transitions: list[TransitionOption]


class MessageOut(Schema):
    id: int
    direction: Direction
    channel: ChannelKind
    body: str
    author: str | None
    sent_at: datetime
    carries_resolution: bool
    is_public: bool
    delivery_status: str
    delivery_error: str = Field("", description="the platform's problem in plain words, when delivery failed")


class NoteOut(Schema):
    id: int
    author: str
    body: str
    created_at: datetime
    mentions: list[str]


class CustomerDetail(customers_api.CustomerOut):
    cases: list[CaseSummary]


class ClockOut(Schema):
    id: int
    kind: ClockKind
    stage: str = Field("", description="the stage a time-in-stage clock times; empty for other clocks")
    target_minutes: int
    business_hours: bool = Field(..., description="counts only the opening hours of the branch's calendar")
    started_at: datetime
    due_at: datetime | None = Field(None, description="empty while paused or stopped")
    remind_at: datetime | None
    state: Literal["green", "amber", "red", "breached", "paused", "met", "met_late", "cancelled"]
    breached_at: datetime | None
    met_at: datetime | None
    cancelled_at: datetime | None
    paused: bool
    paused_seconds: int = Field(..., description="time paused in all, the pause going on now included")
    escalation_level: int = Field(..., description="0 not escalated, 1 handler, 2 team lead, 3 department head, 4 executives")
    acknowledged_at: datetime | None
    acknowledged_by: str | None


# Shaping


def _code(obj: Any) -> str | None:
    return None if obj is None else obj.code


def _username(user: Any) -> str | None:
    return None if user is None else user.get_username()


def case_summary(case: Case) -> dict[str, Any]:
    """Uses only what ``selectors.case_list`` selects: no query per case."""
    return {
        "number": case.number, "subject": case.subject, "stage": case.stage,
        "severity": case.severity, "safety": case.safety, "channel": case.origin_channel,
        "customer": {"id": case.customer_id, "name": case.customer.display_name},
        "category": _code(case.category), "department": _code(case.department),
        "branch": _code(case.branch), "assignee": _username(case.assignee),
        "opened_at": case.opened_at, "stage_entered_at": case.stage_entered_at,
    }


def _links(user: Any, case: Case) -> list[dict[str, Any]]:
    # A link names another case; one the user may not see is left out, never hinted at.
    links = [("out", link.kind, link.to_case_id) for link in case.links_out.all()]
    links += [("in", link.kind, link.from_case_id) for link in case.links_in.all()]
    visible = dict(
        visible_cases(user).filter(pk__in=[pk for _d, _k, pk in links]).values_list("pk", "number")
    )
    return [
        {"kind": kind, "direction": direction, "case": visible[pk]}
        for direction, kind, pk in links
        if pk in visible
    ]


def case_detail(case: Case, user: Any) -> dict[str, Any]:
    options = workflow.available_transitions(case, user)
    return {
        **case_summary(case),
        "policy_version": case.policy.number,
        "close_reason": case.close_reason,
        "reopen_count": case.reopen_count,
        "first_response_at": case.first_response_at,
        "closed_at": case.closed_at,
        "fields": {
            "category": _code(case.category), "product": _code(case.product),
            "branch": _code(case.branch), "department": _code(case.department),
            "team": _code(case.team), "severity": case.severity, "safety": case.safety,
            "assignee": _username(case.assignee), "findings": case.findings,
            "root_cause": _code(case.root_cause), "resolution_code": case.resolution_code,
            "compensation_amount": case.compensation_amount,
            "compensation_approved_by": _username(case.compensation_approved_by),
            "compensation_approved_at": case.compensation_approved_at,
        },
        "links": _links(user, case),
        "available_transitions": [
            {
                "id": o.id, "label": o.transition.label, "to": o.transition.to,
                "role_allowed": o.role_allowed, "ready": o.ready, "can_override": o.can_override,
                "requires_reason": o.transition.requires_reason,
                "guards": [g.as_dict() for g in o.guards + o.hard_rules],
            }
            for o in options
        ],
    }


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk, "direction": message.direction, "channel": message.channel,
        "body": message.body, "author": _username(message.author_user), "sent_at": message.sent_at,
        "carries_resolution": message.carries_resolution, "is_public": message.is_public,
        "delivery_status": message.delivery_status, "delivery_error": message.delivery_error,
    }


def note_out(note: Note) -> dict[str, Any]:
    return {
        "id": note.pk, "author": note.author.get_username(), "body": note.body,
        "created_at": note.created_at,
        "mentions": sorted(u.get_username() for u in note.mentions.all()),
    }


def clock_out(clock: Clock, now: datetime) -> dict[str, Any]:
    return {
        "id": clock.pk, "kind": clock.kind, "stage": clock.stage,
        "target_minutes": round(clock.target_seconds / 60), "business_hours": clock.business_hours,
        "started_at": clock.started_at, "due_at": clock.due_at, "remind_at": clock.remind_at,
        "state": clock.state(now), "breached_at": clock.breached_at, "met_at": clock.met_at,
        "cancelled_at": clock.cancelled_at, "paused": clock.is_paused,
        "paused_seconds": round(sla_selectors.paused_seconds(clock, now)),
        "escalation_level": clock.escalation_level, "acknowledged_at": clock.acknowledged_at,
        "acknowledged_by": _username(clock.acknowledged_by),
    }


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _detail_of(request: HttpRequest, number: str) -> dict[str, Any]:
    user = _user(request)
    return case_detail(selectors.get_case(user, number), user)


# Endpoints


@router.get("", response=CasePage, summary="List cases you may see")
def list_cases(request: HttpRequest, filters: Query[CaseListQuery]) -> dict[str, Any]:
    user = _user(request)
    query = filters.model_dump(exclude={"limit", "offset"})
    query = {key: ("" if value is None and key in {"stage", "channel"} else value) for key, value in query.items()}
    qs = selectors.case_list(user, selectors.CaseFilters(**query))
    page = qs[filters.offset : filters.offset + filters.limit]
    return {
        "count": qs.count(), "limit": filters.limit, "offset": filters.offset,
        "items": [case_summary(c) for c in page],
    }


@router.post("", response={201: CaseDetail}, summary="Open a case")
def create_case(request: HttpRequest, payload: CaseCreate) -> Status:
    user = _user(request)
    # One transaction: a case that is refused leaves no new customer behind.
    with transaction.atomic():
        if payload.customer is not None:
            customer = customer_selectors.customers().get(pk=payload.customer)
        else:
            new_customer = cast(customers_api.CustomerIn, payload.new_customer)  # checked by the schema
            customer = customers_api.create_from(new_customer, by=user)
        case = services.open_case(
            customer=customer, subject=payload.subject, channel=payload.channel.value,
            body=payload.body, by=user, fields=payload.fields,
        )
    return Status(201, _detail_of(request, case.number))


@router.get("/{number}", response=CaseDetail, summary="A case, with the ways out of its stage")
def get_case(request: HttpRequest, number: str) -> dict[str, Any]:
    return _detail_of(request, number)


@router.patch("/{number}", response=CaseDetail, summary="Change a case's fields (never its stage)")
def update_case(request: HttpRequest, number: str, payload: CasePatch) -> dict[str, Any]:
    user = _user(request)
    case = selectors.get_case(user, number)
    services.update_case(case, by=user, fields=payload.model_dump(exclude_unset=True))
    return _detail_of(request, number)


@router.post(
    "/{number}/transitions", response=CaseDetail,
    summary="Move a case to another stage",
    description="Refused with 409 `transition-refused`, listing `failed_guards`, when the policy does not allow it.",
)
def transition_case(request: HttpRequest, number: str, payload: TransitionIn) -> dict[str, Any]:
    user = _user(request)
    case = selectors.get_case(user, number)
    workflow.transition(
        case, payload.to.value, by=user, reason=payload.reason, via=payload.transition,
        fields=payload.fields, checklist=payload.checklist, override=payload.override,
    )
    return _detail_of(request, number)


@router.get("/{number}/messages", response=list[MessageOut], summary="Messages, oldest first")
def list_messages(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = selectors.get_case(_user(request), number)
    return [message_out(m) for m in selectors.case_messages(case)]


@router.post("/{number}/messages", response={201: MessageOut}, summary="Record a reply or a customer message")
def add_message(request: HttpRequest, number: str, payload: MessageIn) -> Status:
    user = _user(request)
    case = selectors.get_case(user, number)
    channel = payload.channel.value if payload.channel else None
    if payload.direction == "in":
        message = services.record_customer_message(case, body=payload.body, by=user, channel=channel)
    else:
        message = services.record_reply(
            case, body=payload.body, by=user, carries_resolution=payload.carries_resolution,
            channel=channel,
        )
    return Status(201, message_out(message))


@router.get("/{number}/notes", response=list[NoteOut], summary="Internal notes, oldest first")
def list_notes(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = selectors.get_case(_user(request), number)
    return [note_out(n) for n in selectors.case_notes(case)]


@router.post("/{number}/notes", response={201: NoteOut}, summary="Write an internal note")
def add_note(request: HttpRequest, number: str, payload: NoteIn) -> Status:
    user = _user(request)
    case = selectors.get_case(user, number)
    note = services.add_note(case, body=payload.body, by=user)
    return Status(201, note_out(note))


@router.get("/{number}/clocks", response=list[ClockOut], summary="SLA clocks, open ones first")
def list_clocks(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = selectors.get_case(user, number)
    permissions.ensure_perm(user, "sla.view_clock", _("You may not see SLA clocks."))
    now = wall_clock.now()
    return [clock_out(clock, now) for clock in sla_selectors.case_clocks(case)]


@customer_router.get("/{customer_id}", response=CustomerDetail, summary="A customer, with the cases you may see")
def get_customer(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    user = _user(request)
    customers_api.ensure_may_view_customers(user)
    customer = customer_selectors.customers().get(pk=customer_id)
    cases = selectors.case_list(user, selectors.CaseFilters(scope="all")).filter(customer=customer)
    return {**customers_api.customer_out(customer), "cases": [case_summary(c) for c in cases]}
