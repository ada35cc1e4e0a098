"""The demo company is built through the engine and stays consistent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tingjian.audit import services as audit
from tingjian.cases.models import Case, Override, QAReview, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> str:
    out = StringIO()
    call_command("demo", "--cases", "40", stdout=out)
    return out.getvalue()


def test_demo_creates_a_user_per_role_and_prints_the_logins(demo: str) -> None:
    users = get_user_model().objects
    for username in ["agent", "agent2", "staff", "qa", "manager", "executive", "admin"]:
        assert users.get(username=username).check_password(f"demo-{username}-2026")
        assert f"demo-{username}-2026" in demo
    assert "DEMO ONLY" in demo
    assert users.get(username="admin").is_superuser


def test_demo_is_idempotent(demo: str) -> None:
    cases, users = Case.objects.count(), get_user_model().objects.count()
    out = StringIO()
    call_command("demo", "--cases", "40", stdout=out)
    assert "nothing new created" in out.getvalue()
    assert (Case.objects.count(), get_user_model().objects.count()) == (cases, users)


def test_demo_cases_reach_every_stage(demo: str) -> None:
    assert set(Case.objects.values_list("stage", flat=True)) == set(Stage.values)


def test_demo_history_is_a_valid_audit_chain_with_no_override(demo: str) -> None:
    assert audit.verify()[1] is None
    assert not Override.objects.exists()


def test_every_resolved_case_was_signed_off_by_an_independent_reviewer(demo: str) -> None:
    resolved = Case.objects.filter(stage=Stage.CLOSED, close_reason="resolved")
    assert resolved.exists()
    for case in resolved:
        review = QAReview.objects.filter(case=case, passed=True).latest("signed_at")
        assert review.reviewer_id != case.assignee_id
        assert not case.messages.filter(carries_resolution=True, author_user_id=review.reviewer_id).exists()
