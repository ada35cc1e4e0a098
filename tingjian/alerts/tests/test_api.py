"""REST API: /api/v1/alerts — the caller's own notifications, read and acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tingjian.alerts import services
from tingjian.alerts.models import Notification
from tingjian.api.tests.conftest import assert_problem

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Taipei"))


def alert(user: Any, *, requires_ack: bool = True, kind: str = "sla.escalation") -> Notification:
    (note,) = services.notify(
        [user], kind=kind, verb="Case %(case)s needs you", params={"case": "C-5"}, url="/cases/C-5/",
        requires_ack=requires_ack,
    )
    return note


def test_the_list_holds_only_the_callers_notifications(api_as: Any, users: dict[str, Any], settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://tingjian.example.com"
    mine = alert(users["manager"])
    alert(users["executive"])
    response = api_as("manager").get("/alerts")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (item,) = body["items"]
    assert item["id"] == mine.pk
    assert (item["text"], item["url"]) == ("Case C-5 needs you", "https://tingjian.example.com/cases/C-5/")
    assert (item["requires_ack"], item["acknowledged_at"], item["read_at"]) == (True, None, None)


def test_the_list_filters_unread_and_awaiting_acknowledgement_and_pages(api_as: Any, users: dict[str, Any]) -> None:
    waiting = alert(users["manager"])
    info = alert(users["manager"], requires_ack=False)
    read = alert(users["manager"], requires_ack=False)
    services.mark_read(users["manager"], notification_ids=[read.pk])
    client = api_as("manager")
    assert {i["id"] for i in client.get("/alerts", {"unread": "true"}).json()["items"]} == {waiting.pk, info.pk}
    assert [i["id"] for i in client.get("/alerts", {"awaiting_ack": "true"}).json()["items"]] == [waiting.pk]
    paged = client.get("/alerts", {"limit": 1, "offset": 1}).json()
    assert (paged["count"], len(paged["items"])) == (3, 1)


def test_acknowledging_through_the_api(api_as: Any, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    response = api_as("manager").post(f"/alerts/{note.pk}/acknowledge")
    assert response.status_code == 200
    assert response.json()["acknowledged_via"] == "api"
    note.refresh_from_db()
    assert note.acknowledged_at is not None and note.read_at is not None


def test_someone_elses_alert_is_not_found(api_as: Any, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    assert_problem(api_as("executive").post(f"/alerts/{note.pk}/acknowledge"), 404, "not-found")
    assert_problem(api_as("executive").post(f"/alerts/{note.pk}/read"), 404, "not-found")
    note.refresh_from_db()
    assert note.acknowledged_at is None and note.read_at is None


def test_a_second_acknowledgement_is_a_conflict_saying_who_and_when(api_as: Any, users: dict[str, Any]) -> None:
    note = alert(users["manager"])
    with time_machine.travel(NOON, tick=False):
        services.acknowledge(note, by=users["manager"], via="email")
    body = assert_problem(api_as("manager").post(f"/alerts/{note.pk}/acknowledge"), 409, "already-acknowledged")
    assert body["acknowledged_by"] == "manager"
    assert body["acknowledged_via"] == "email"
    assert datetime.fromisoformat(body["acknowledged_at"]) == NOON
    note.refresh_from_db()
    assert note.acknowledged_via == "email"


def test_acknowledging_what_needs_no_acknowledgement_is_refused(api_as: Any, users: dict[str, Any]) -> None:
    note = alert(users["manager"], requires_ack=False)
    assert_problem(api_as("manager").post(f"/alerts/{note.pk}/acknowledge"), 422, "validation-error")


def test_marking_one_read(api_as: Any, users: dict[str, Any]) -> None:
    note = alert(users["manager"], requires_ack=False)
    other = alert(users["manager"], requires_ack=False)
    response = api_as("manager").post(f"/alerts/{note.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    other.refresh_from_db()
    assert other.read_at is None


def test_the_alerts_need_a_token(anonymous: Any) -> None:
    assert_problem(anonymous.get("/alerts"), 401, "unauthorized")
