"""The demo company is built through the engine, stays consistent, and can be loaded twice."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from tingjian.audit import services as audit
from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case, CloseReason, Message, Override, QAReview, Stage
from tingjian.cases.workflow import TransitionRefused, policy_document, transition
from tingjian.cases.workflow.guards import GuardContext, run
from tingjian.customers.models import Customer, Identity
from tingjian.org.models import Branch, Category, Membership
from tingjian.org.roles import Role, role_names

pytestmark = pytest.mark.django_db

ROLE_USERS = {
    "agent": "agent", "agent2": "agent", "staff": "staff", "qa": "qa", "manager": "manager", "executive": "executive",
    "pr": "pr", "admin": "admin",
}
# `qa` is also 品保 staff, so a newcomer can try approving their own case and be refused.
EXTRA_ROLES = {"qa": {"staff"}}


DEVELOPMENT = {
    # The test runner turns DEBUG off; the demo runs only where it is on (development).
    "DEBUG": True,
    "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
}


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """One demo of 40 cases for the whole module, rolled back at its end.

    Each test runs inside its own savepoint on top of it, so a test that writes (the second
    run of the demo) leaves the next test the same data.
    """
    out = StringIO()
    with django_db_blocker.unblock(), override_settings(**DEVELOPMENT), transaction.atomic():
        call_command("demo", "--cases", "40", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _counts() -> dict[str, int]:
    models: list[Any] = [Case, Message, QAReview, Customer, Identity, Branch, Category, Membership, AuditEvent, get_user_model()]
    return {m.__name__: m.objects.count() for m in models}


def test_demo_creates_one_user_per_role_and_prints_their_demo_passwords(demo: str) -> None:
    users = get_user_model().objects
    for username, role in ROLE_USERS.items():
        user = users.get(username=username)
        assert role_names(user) == {role} | EXTRA_ROLES.get(username, set())
        assert user.check_password(f"demo-{username}-2026")
        assert hasattr(user, "profile")
        assert f"demo-{username}-2026" in demo
    # Every role a person can hold has a demo login; "system" is Tingjian's own service account.
    assert {r.value for r in Role} - {Role.SYSTEM} == set(ROLE_USERS.values())
    assert "DEMO ONLY" in demo
    admin = users.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert Membership.objects.filter(user__username="manager", is_head=True).exists()
    assert set(Membership.objects.filter(user__username="agent2").values_list("department__code", flat=True)) == {"logistics"}


def test_running_the_demo_twice_creates_nothing_new(demo: str) -> None:
    before = _counts()
    out = StringIO()
    with override_settings(**DEVELOPMENT):
        call_command("demo", "--cases", "40", stdout=out)
    assert "nothing new was created" in out.getvalue()
    assert _counts() == before


def test_demo_cases_reach_every_stage_and_every_outcome(demo: str) -> None:
    # 40 walked through the engine, 5 more arrived through the demo channels.
    assert Case.objects.count() == 45
    assert set(Case.objects.values_list("stage", flat=True)) == set(Stage.values)
    closed = Case.objects.filter(stage=Stage.CLOSED)
    assert set(closed.values_list("close_reason", flat=True)) == set(CloseReason.values)
    assert Case.objects.filter(stage=Stage.INVESTIGATION, reopen_count__gt=0).exists()
    assert Case.objects.filter(safety=True).exists()
    assert not Case.objects.filter(safety=True).exclude(severity=1).exists()
    assert "closed" in demo and "resolved" in demo


def test_demo_writes_in_traditional_simplified_and_english(demo: str) -> None:
    languages = set(Customer.objects.filter(cases__isnull=False).values_list("language", flat=True))
    assert languages == {"zh-hant", "zh-hans", "en"}
    shanghai = Case.objects.filter(branch__code="sha-jingan")
    assert shanghai.exists()
    assert set(shanghai.values_list("customer__language", flat=True)) == {"zh-hans"}


def test_demo_history_passes_audit_verify(demo: str) -> None:
    checked, broken = audit.verify()
    assert broken is None
    assert checked == AuditEvent.objects.count() > 0


def test_no_demo_case_passed_a_guard_without_an_override_record(demo: str) -> None:
    for event in AuditEvent.objects.filter(action="case.transition"):
        if event.after["override"]:
            assert Override.objects.filter(case_id=int(event.object_id), transition=event.after["transition"]).exists()
    # The demo needs no break-glass: the last step into every case's stage met its guards,
    # and they still hold now.
    assert not Override.objects.exists()
    for case in Case.objects.exclude(stage=Stage.INTAKE).select_related("policy"):
        last = AuditEvent.objects.filter(action="case.transition", object_id=str(case.pk)).latest("id")
        policy = policy_document(case.policy)
        step = policy.get(last.after["transition"])
        assert step is not None and step.to == case.stage
        actor = get_user_model().objects.get(pk=last.actor_id)
        review = case.qa_reviews.filter(reviewer=actor).order_by("-signed_at", "-id").first()
        ctx = GuardContext(case=case, user=actor, policy=policy, checklist=review.checklist if review else {})
        unmet = [g.id for g in run(step.guards + step.hard_rules, ctx) if not g.met]
        assert unmet == [], f"{case.number} reached {case.stage} by {step.id} with {unmet} unmet"


def test_every_resolved_case_was_signed_off_by_an_independent_qa_reviewer(demo: str) -> None:
    resolved = Case.objects.filter(stage=Stage.CLOSED, close_reason=CloseReason.RESOLVED)
    assert resolved.exists()
    for case in resolved:
        review = case.qa_reviews.filter(passed=True).latest("signed_at")
        assert "qa" in role_names(review.reviewer)
        assert review.reviewer_id != case.assignee_id
        assert not case.messages.filter(carries_resolution=True, author_user_id=review.reviewer_id).exists()


def test_the_demo_refuses_a_production_database(settings: Any) -> None:
    settings.DEBUG = False
    users = get_user_model().objects.count()
    with pytest.raises(CommandError, match="production"):
        call_command("demo", "--cases", "1", stdout=StringIO())
    assert get_user_model().objects.count() == users


def test_the_demo_qa_user_is_refused_approving_a_case_they_answered(demo: str) -> None:
    """The README's walk-through: `qa`, also 品保 staff, takes a case to QA and may not close it."""
    qa = get_user_model().objects.get(username="qa")
    case = Case.objects.filter(stage=Stage.RESPONSE, compensation_amount__isnull=True).first()
    assert case is not None
    case_services.update_case(case, by=qa, fields={"assignee": qa, "resolution_code": "apology"})
    case_services.record_reply(case, body="您好，經查屬實，已向門市說明並致歉。", by=qa, carries_resolution=True)
    case = transition(case, "qa", by=qa)
    checklist = {item.id: True for item in policy_document(case.policy).qa_checklist}
    with pytest.raises(TransitionRefused) as refused:
        transition(case, "closed", by=qa, checklist=checklist)
    assert refused.value.code == "hard_rule"


def test_demo_channels_are_sandboxes_whose_messages_were_filed_like_real_ones(demo: str) -> None:
    from tingjian.channels.models import Channel, EventStatus, InboundEvent
    from tingjian.customers.models import MatchSuggestion

    assert set(Channel.objects.values_list("kind", flat=True)) >= {"line", "wechat", "messenger", "webform", "calllog", "api"}
    assert not Channel.objects.filter(sandbox=False).exists()
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {EventStatus.FILED}
    line_cases = {e.case for e in InboundEvent.objects.filter(channel__name="hsg-line")}
    assert len(line_cases) == 1 and line_cases.pop().messages.filter(direction="in").count() == 2
    assert Case.objects.filter(messages__is_public=True, origin_channel="messenger").exists()
    # The LINE customer wrote the number the hotline caller gave: suggested, not merged.
    suggestion = MatchSuggestion.objects.get()
    assert suggestion.status == "open" and suggestion.evidence == "+886912345000"
