"""The audit trail cannot be changed quietly."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from tingjian.audit import services
from tingjian.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db


def three_events() -> list[AuditEvent]:
    return [
        services.record("case.created", actor=None, object_type="case", object_id=i, summary=f"case {i}", after={"n": i})
        for i in range(3)
    ]


def raw_sql(sql: str, params: list[Any]) -> None:
    """Tamper below the ORM, as someone with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only")


def test_events_chain_by_hash() -> None:
    before = AuditEvent.objects.count()  # the role set-up after migrate is audited too
    first, second, third = three_events()
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert services.verify() == (before + 3, None)


def test_orm_refuses_update_and_delete() -> None:
    event = three_events()[0]
    event.summary = "nothing happened"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_raw_update() -> None:
    event = three_events()[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET summary = 'x' WHERE id = %s", [event.pk])


def test_verify_finds_an_edited_row() -> None:
    events = three_events()
    raw_sql("UPDATE audit_auditevent SET summary = %s WHERE id = %s", ["quietly edited", events[1].pk])
    checked, broken = services.verify()
    assert broken is not None and broken.event_id == events[1].pk
    assert "edited" in broken.problem


def test_verify_finds_a_removed_row() -> None:
    events = three_events()
    raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    checked, broken = services.verify()
    assert broken is not None and broken.event_id == events[2].pk
    assert "removed" in broken.problem


def test_audit_verify_command_reports_the_first_broken_link() -> None:
    events = three_events()
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert f"{AuditEvent.objects.count()} events verified" in out.getvalue()
    raw_sql("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["forged", events[0].pk])
    with pytest.raises(CommandError, match=f"event {events[0].pk}"):
        call_command("audit", "verify")


def test_failed_login_is_audited(client: Any, users: dict[str, Any]) -> None:
    from django.contrib.auth import authenticate

    assert authenticate(username="agent", password="wrong password") is None
    event = AuditEvent.objects.filter(action="auth.login_failed").last()
    assert event is not None and event.object_id == "agent"


def test_role_changes_are_audited(users: dict[str, Any]) -> None:
    from tingjian.org import services as org_services

    org_services.set_roles(users["agent"], ["agent", "manager"])
    event = AuditEvent.objects.filter(action="auth.roles_changed", object_id=str(users["agent"].pk)).last()
    assert event is not None and "manager" in event.after["now"]


def test_case_history_is_audited_with_before_and_after(open_case: Any, users: dict[str, Any]) -> None:
    from tingjian.cases import services as case_services

    case = open_case()
    case_services.update_case(case, by=users["agent"], fields={"severity": 2, "subject": "湯是冷的"})
    event = AuditEvent.objects.filter(action="case.changed", object_id=str(case.pk)).get()
    assert event.before == {"severity": None, "subject": "湯麵送到時已經冷掉"}
    assert event.after == {"severity": 2, "subject": "湯是冷的"}
    assert event.actor == users["agent"]
    assert services.verify()[1] is None
