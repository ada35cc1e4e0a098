"""The channels part of REST API v1: intake from other systems, and replies that are sent.

``POST /intake`` stores the complaint and answers 202 at once (the worker files it);
``GET /intake/{id}`` tells where it went. ``POST /cases/{number}/replies`` sends a reply
through one of the customer's channels, like the case page's reply box.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import model_validator

from tingjian.cases import selectors as case_selectors
from tingjian.cases.api import MessageOut, message_out
from tingjian.cases.models import ChannelKind
from tingjian.customers.api import IdentityIn

from . import outbound, services
from .models import EventStatus, InboundEvent, Kind

router = Router()
case_router = Router()


class IntakeCustomer(Schema):
    name: str = Field("", max_length=200)
    phone: str = Field("", max_length=50)
    email: str = Field("", max_length=254)
    language: str = Field("", max_length=10)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _reachable(self) -> IntakeCustomer:
        if not (self.phone or self.email or self.identities):
            raise ValueError("give at least one of phone, email or identities")
        return self


class IntakeIn(Schema):
    """A complaint from another system. Send the same `Idempotency-Key` when you retry."""

    model_config = {"extra": "forbid"}

    customer: IntakeCustomer
    body: str = Field(..., min_length=1, max_length=50_000, description="what the customer said")
    subject: str = Field("", max_length=200)
    channel: ChannelKind = Field(ChannelKind.API, description="where the customer said it")
    sent_at: datetime | None = None
    fields: dict[str, Any] = Field(default_factory=dict, description="case fields by code: branch, category, product, severity")
    intake_channel: str = Field("", max_length=60, description="name of a REST intake channel; the default one if empty")


class IntakeOut(Schema):
    id: int
    status: str
    case: str | None = Field(None, description="the case number once filed")
    outcome: str
    received_at: datetime


class ReplyIn(Schema):
    model_config = {"extra": "forbid"}

    body: str = Field(..., min_length=1, max_length=50_000)
    target: str = Field("", max_length=60, description="a key from GET …/reply-targets; the customer's last channel if empty")
    carries_resolution: bool = False


class ReplyTargetOut(Schema):
    key: str
    label: str
    usable: bool
    problem: str


def _intake_out(event: InboundEvent) -> dict[str, Any]:
    return {
        "id": event.pk, "status": event.status, "case": event.case.number if event.case_id and event.case else None,
        "outcome": event.outcome, "received_at": event.received_at,
    }


@router.post("", response={200: IntakeOut, 202: IntakeOut}, summary="Hand over a complaint (202: stored, filed by the worker)")
def intake(request: HttpRequest, payload: IntakeIn, idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1, max_length=200)) -> Status:
    user: Any = request.auth  # type: ignore[attr-defined]
    channel = services.api_channel(payload.intake_channel)
    document = payload.model_dump(mode="json", exclude={"intake_channel"})
    try:
        event, created = services.submit_intake(channel, key=idempotency_key.strip(), document=document, by=user)
    except services.IdempotencyConflict as exc:
        raise HttpError(409, _("This Idempotency-Key was already used with a different request.")) from exc
    return Status(202 if created else 200, _intake_out(event))


@router.get("/{event_id}", response=IntakeOut, summary="Where an intake request went")
def intake_status(request: HttpRequest, event_id: int) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    event = InboundEvent.objects.select_related("case").get(pk=event_id, channel__kind=Kind.API)
    if event.meta.get("by") != user.pk and not user.has_perm("channels.manage_channels"):
        raise InboundEvent.DoesNotExist  # another caller's request does not exist for you
    if event.case_id and not case_selectors.visible_cases(user).filter(pk=event.case_id).exists():
        event.case = None
    return _intake_out(event)


@case_router.get("/{number}/reply-targets", response=list[ReplyTargetOut], summary="Where a reply to this case can go")
def reply_targets(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = case_selectors.get_case(request.auth, number)  # type: ignore[attr-defined]
    return [{"key": t.key, "label": t.label, "usable": t.usable, "problem": str(t.problem)} for t in outbound.reply_targets(case)]


@case_router.post("/{number}/replies", response={201: MessageOut}, summary="Send a reply to the customer on one of their channels")
def send_reply(request: HttpRequest, number: str, payload: ReplyIn) -> Status:
    user: Any = request.auth  # type: ignore[attr-defined]
    case = case_selectors.get_case(user, number)
    if not user.has_perm("cases.add_message"):
        raise PermissionDenied(_("You may not reply to customers."))
    message = outbound.send_reply(case, body=payload.body, by=user, target=payload.target, carries_resolution=payload.carries_resolution)
    return Status(201, message_out(message))


__all__ = ["EventStatus", "case_router", "router"]
