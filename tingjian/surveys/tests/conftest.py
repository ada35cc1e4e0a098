"""Fixtures of the survey tests: closed cases, reachable customers, sent invitations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from tingjian import clock
from tingjian.cases.models import Case, Stage
from tingjian.cases.models.case import engine_moving_stage
from tingjian.customers import services as customer_services
from tingjian.sealed import unseal
from tingjian.surveys import sending
from tingjian.surveys.models import Invitation, InvitationStatus


@pytest.fixture(autouse=True)
def _no_queue(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sending tasks are run by the tests themselves (``sending.send``); enqueued ids are kept."""
    queued: list[int] = []
    monkeypatch.setattr("tingjian.surveys.tasks.enqueue_send", lambda pk, run_after=None: queued.append(pk))
    monkeypatch.setattr("tingjian.surveys.tasks.enqueue_analysis", lambda pk: None)
    return queued


def close(case: Case, *, reason: str = "resolved", ago: timedelta = timedelta(hours=2)) -> Case:
    # The short way: the workflow's own path to closed is tested in cases.
    with engine_moving_stage():
        Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED, close_reason=reason, closed_at=clock.now() - ago)
    case.refresh_from_db()
    return case


@pytest.fixture
def emailed_customer(db: Any) -> Any:
    return customer_services.create_customer(
        display_name="陳美玲", by=None, identities=[("email", "meiling@example.com"), ("phone", "0922-111-222")],
    )


@pytest.fixture
def closed_case(open_case: Callable[..., Case], emailed_customer: Any, company: dict[str, Any]) -> Callable[..., Case]:
    """A case of a customer with an email address, closed (resolved) two hours ago."""

    def make(*, reason: str = "resolved", ago: timedelta = timedelta(hours=2), **fields: Any) -> Case:
        fields.setdefault("customer", emailed_customer)
        fields.setdefault("branch", company["branch"])
        return close(open_case(**fields), reason=reason, ago=ago)

    return make


@pytest.fixture
def invite(closed_case: Callable[..., Case]) -> Callable[..., tuple[Invitation, str]]:
    """A sent invitation and its token (the link's secret)."""

    def make(case: Case | None = None, *, language: str = "en") -> tuple[Invitation, str]:
        invitation = sending.create_invitation(case or closed_case())
        assert invitation is not None
        now = clock.now()
        Invitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.SENT, channel="email", sent_at=now, expires_at=now + sending.VALID_FOR, language=language,
        )
        invitation.refresh_from_db()
        return invitation, unseal(invitation.token_sealed)["token"]

    return make


@pytest.fixture
def client_for(users: dict[str, Any]) -> Callable[[str], Client]:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    return make
