"""The service policy, enforced by the engine on every path."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import services
from tingjian.cases.errors import TransitionRefused
from tingjian.cases.models import (
    Case,
    CaseLink,
    Override,
    QAReview,
    Stage,
    StageChangeOutsideEngine,
)
from tingjian.cases.workflow import available_transitions, transition
from tingjian.cases.workflow.policy import PolicyError, load_policy_data, policy_document

pytestmark = pytest.mark.django_db

CHECKLIST = {"facts_verified": True, "every_point_answered": True, "tone": True, "corrective_action": True}


def failed_ids(exc: pytest.ExceptionInfo[TransitionRefused]) -> set[str]:
    return {g.id for g in exc.value.failed_guards}


def to_qa(case: Case, users: dict[str, Any], company: dict[str, Any]) -> Case:
    agent = users["agent"]
    transition(case, "investigation", by=agent)
    transition(case, "response", by=agent, fields={"findings": "外送延遲 40 分鐘", "root_cause": company["root_cause"].code})
    services.record_reply(case, body="已退款並致歉。", by=agent, carries_resolution=True)
    return transition(case, "qa", by=agent, fields={"resolution_code": "refund"})


# intake → investigation


def test_new_case_starts_at_intake_under_the_active_policy(open_case: Any) -> None:
    case = open_case()
    assert case.stage == Stage.INTAKE
    assert case.number.startswith("C-") and len(case.number) == len("C-2026-000001")
    assert case.policy.number == 1
    assert case.messages.count() == 1


def test_intake_exit_lists_every_missing_guard(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "investigation", by=users["agent"])
    assert exc.value.code == "guards_failed"
    assert failed_ids(exc) == {"category_set", "severity_set", "department_set", "customer_acknowledged"}
    case.refresh_from_db()
    assert case.stage == Stage.INTAKE


def test_customer_must_be_acknowledged_before_investigation(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(category=company["category"], severity=3, department=company["cs"])
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "investigation", by=users["agent"])
    assert failed_ids(exc) == {"customer_acknowledged"}
    services.record_reply(case, body="已收到，處理中。", by=users["agent"])
    assert transition(case, "investigation", by=users["agent"]).stage == Stage.INVESTIGATION


def test_fields_sent_with_a_transition_count_for_its_guards(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case()
    services.record_reply(case, body="已收到。", by=users["agent"])
    case = transition(
        case, "investigation", by=users["agent"],
        fields={"category": company["category"].code, "severity": "S2", "department": "cs"},
    )
    assert (case.stage, case.severity, case.department.code) == (Stage.INVESTIGATION, 2, "cs")
    assert case.investigation_at is not None


# investigation → response → QA


def test_investigation_needs_findings_and_root_cause(ready_for_investigation: Case, users: dict[str, Any]) -> None:
    case = transition(ready_for_investigation, "investigation", by=users["agent"])
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "response", by=users["agent"])
    assert failed_ids(exc) == {"findings_written", "root_cause_chosen"}


def test_qa_needs_resolution_reply_and_code(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    agent = users["agent"]
    case = transition(ready_for_investigation, "investigation", by=agent)
    case = transition(case, "response", by=agent, fields={"findings": "司機繞路", "root_cause": company["root_cause"]})
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "qa", by=agent)
    assert failed_ids(exc) == {"resolution_reply_sent", "resolution_code_set"}


def test_compensation_above_threshold_needs_manager_approval(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    agent, manager = users["agent"], users["manager"]
    case = transition(ready_for_investigation, "investigation", by=agent)
    case = transition(case, "response", by=agent, fields={"findings": "餐點異物", "root_cause": company["root_cause"]})
    services.record_reply(case, body="補償 1500 元。", by=agent, carries_resolution=True)
    services.update_case(case, by=agent, fields={"resolution_code": "compensation", "compensation_amount": "1500"})
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "qa", by=agent)
    assert failed_ids(exc) == {"compensation_approved"}
    with pytest.raises(PermissionDenied):
        services.approve_compensation(case, by=agent)
    services.approve_compensation(case, by=manager)
    assert transition(case, "qa", by=agent).stage == Stage.QA


def test_changing_an_approved_amount_withdraws_the_approval(ready_for_investigation: Case, users: dict[str, Any]) -> None:
    case = ready_for_investigation
    services.update_case(case, by=users["agent"], fields={"compensation_amount": 2000})
    services.approve_compensation(case, by=users["manager"])
    services.update_case(case, by=users["agent"], fields={"compensation_amount": 5000})
    case.refresh_from_db()
    assert case.compensation_approved_by is None


def test_compensation_at_or_below_threshold_needs_no_approval(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    agent = users["agent"]
    case = transition(ready_for_investigation, "investigation", by=agent)
    case = transition(case, "response", by=agent, fields={"findings": "x", "root_cause": company["root_cause"]})
    services.record_reply(case, body="補償 1000 元。", by=agent, carries_resolution=True)
    case = transition(case, "qa", by=agent, fields={"resolution_code": "compensation", "compensation_amount": "1000"})
    assert case.stage == Stage.QA


# QA → closed and the hard rule


def test_independent_qa_reviewer_closes_with_signed_checklist(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = to_qa(ready_for_investigation, users, company)
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "closed", by=users["qa"], checklist={"facts_verified": True})
    assert failed_ids(exc) == {"qa_checklist_signed"}
    case = transition(case, "closed", by=users["qa"], checklist=CHECKLIST)
    assert (case.stage, case.close_reason) == (Stage.CLOSED, "resolved")
    review = QAReview.objects.get(case=case)
    assert review.passed and review.reviewer == users["qa"]


def test_only_qa_role_may_close_from_qa(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = to_qa(ready_for_investigation, users, company)
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "closed", by=users["manager"], via="qa_approve", checklist=CHECKLIST)
    assert exc.value.code == "role_not_allowed"


def test_qa_reviewer_cannot_close_own_case_even_with_override(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    qa_admin = users["qa"]
    # This reviewer also holds the manager role (override permission) and is the assignee.
    from tingjian.org import services as org_services

    org_services.set_roles(qa_admin, ["qa", "manager"])
    services.update_case(ready_for_investigation, by=users["agent"], fields={"assignee": users["agent"]})
    case = to_qa(ready_for_investigation, users, company)
    case.assignee = qa_admin
    case.save()
    qa_admin = type(qa_admin).objects.get(pk=qa_admin.pk)
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "closed", by=qa_admin, checklist=CHECKLIST, override=True, reason="I am sure this is fine, closing")
    assert exc.value.code == "hard_rule"
    assert failed_ids(exc) == {"reviewer_independent"}
    assert Case.objects.get(pk=case.pk).stage == Stage.QA


def test_author_of_the_resolution_reply_cannot_qa_it(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    from tingjian.org import services as org_services

    writer = users["qa2"]
    org_services.set_roles(writer, ["qa", "agent"])
    org_services.join_department(writer, company["cs"])
    writer = type(writer).objects.get(pk=writer.pk)
    agent = users["agent"]
    case = transition(ready_for_investigation, "investigation", by=agent)
    case = transition(case, "response", by=agent, fields={"findings": "x", "root_cause": company["root_cause"]})
    services.record_reply(case, body="處理結果如下。", by=writer, carries_resolution=True)
    case = transition(case, "qa", by=agent, fields={"resolution_code": "apology"})
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "closed", by=writer, checklist=CHECKLIST)
    assert exc.value.code == "hard_rule"


def test_qa_rejection_needs_a_reason_and_returns_to_investigation(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = to_qa(ready_for_investigation, users, company)
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "investigation", by=users["qa"])
    assert exc.value.code == "reason_required"
    case = transition(case, "investigation", by=users["qa"], reason="根本原因不正確，請重新調查司機路線")
    assert case.stage == Stage.INVESTIGATION
    assert QAReview.objects.get(case=case).passed is False


def test_reopen_needs_reason_and_counts_as_recurrence(ready_for_investigation: Case, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = transition(to_qa(ready_for_investigation, users, company), "closed", by=users["qa"], checklist=CHECKLIST)
    with pytest.raises(TransitionRefused):
        transition(case, "investigation", by=users["agent"], reason="short")
    case = transition(case, "investigation", by=users["agent"], reason="顧客再次來電表示同樣問題又發生")
    assert (case.stage, case.reopen_count, case.closed_at, case.close_reason) == (Stage.INVESTIGATION, 1, None, "")


# closing as duplicate or spam


def test_close_as_duplicate_needs_the_master_case(open_case: Any, users: dict[str, Any]) -> None:
    master, dup = open_case(), open_case()
    with pytest.raises(TransitionRefused) as exc:
        transition(dup, "closed", by=users["agent"], via="close_duplicate")
    assert failed_ids(exc) == {"duplicate_of_set"}
    dup = transition(dup, "closed", by=users["agent"], via="close_duplicate", fields={"duplicate_of": master.number})
    assert dup.close_reason == "duplicate"
    assert CaseLink.objects.filter(from_case=dup, to_case=master, kind="duplicate_of").exists()


def test_only_a_manager_closes_as_spam_with_a_reason(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "closed", by=users["agent"], via="close_spam", reason="廣告訊息，與服務無關的推銷")
    assert exc.value.code == "role_not_allowed"
    case = transition(case, "closed", by=users["manager"], via="close_spam", reason="廣告訊息，與服務無關的推銷")
    assert case.close_reason == "spam"


# illegal moves


def test_skipping_a_stage_is_refused(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(TransitionRefused) as exc:
        transition(case, "response", by=users["manager"], override=True, reason="skip it, we know better")
    assert exc.value.code == "no_such_transition"
    assert Case.objects.get(pk=case.pk).stage == Stage.INTAKE


def test_unknown_target_stage_is_refused(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(TransitionRefused) as exc:
        transition(open_case(), "archived", by=users["agent"])
    assert exc.value.code == "no_such_transition"


def test_saving_a_stage_outside_the_engine_raises(open_case: Any) -> None:
    case = open_case()
    case.stage = Stage.CLOSED
    with pytest.raises(StageChangeOutsideEngine):
        case.save()
    with pytest.raises(StageChangeOutsideEngine):
        Case.objects.filter(pk=case.pk).update(stage=Stage.CLOSED)
    assert Case.objects.get(pk=case.pk).stage == Stage.INTAKE


def test_stage_cannot_be_set_as_a_field(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(ValidationError) as exc:
        services.update_case(case, by=users["agent"], fields={"stage": "closed"})
    assert "stage" in exc.value.message_dict


def test_refused_transition_with_bad_fields_changes_nothing(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        transition(case, "investigation", by=users["agent"], fields={"category": "no-such-category", "severity": 3})
    assert "category" in exc.value.message_dict
    case.refresh_from_db()
    assert case.severity is None and AuditEvent.objects.count() == events


def test_guard_failure_rolls_back_the_fields_sent_with_it(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    with pytest.raises(TransitionRefused):
        transition(case, "investigation", by=users["agent"], fields={"severity": 2})
    case.refresh_from_db()
    assert case.severity is None


def test_agent_cannot_move_a_case_of_another_department(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(department=company["cs"])
    with pytest.raises(PermissionDenied):
        transition(case, "closed", by=users["agent2"], via="close_duplicate")


# break-glass override


def test_override_needs_the_permission(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(TransitionRefused) as exc:
        transition(open_case(), "investigation", by=users["agent"], override=True, reason="顧客很急，先開始調查再補資料")
    assert exc.value.code == "override_not_permitted"


def test_override_needs_a_written_reason(open_case: Any, users: dict[str, Any]) -> None:
    with pytest.raises(TransitionRefused) as exc:
        transition(open_case(), "investigation", by=users["manager"], override=True, reason="")
    assert exc.value.code == "override_reason_required"


def test_override_is_audited_and_tells_management(open_case: Any, users: dict[str, Any]) -> None:
    case = open_case()
    reason = "媒體已報導，先進入調查，資料稍後補齊"
    case = transition(case, "investigation", by=users["manager"], override=True, reason=reason)
    assert case.stage == Stage.INVESTIGATION
    override = Override.objects.get(case=case)
    assert override.reason == reason and "category_set" in override.failed_guards
    event = AuditEvent.objects.get(action="case.override", object_id=str(case.pk))
    assert event.reason == reason and event.actor == users["manager"]
    notified = set(Notification.objects.filter(kind="case.override").values_list("recipient__username", flat=True))
    assert notified == {"manager", "executive"}


def test_override_daily_limit(open_case: Any, users: dict[str, Any]) -> None:
    limit = policy_document(open_case().policy).override_daily_limit
    for _ in range(limit):
        transition(open_case(), "investigation", by=users["manager"], override=True, reason="緊急狀況，先行調查再補件")
    with pytest.raises(TransitionRefused) as exc:
        transition(open_case(), "investigation", by=users["manager"], override=True, reason="緊急狀況，先行調查再補件")
    assert exc.value.code == "override_limit_reached"


def test_override_limit_resets_the_next_day(open_case: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from tingjian import clock

    limit = policy_document(open_case().policy).override_daily_limit
    for _ in range(limit):
        transition(open_case(), "investigation", by=users["manager"], override=True, reason="緊急狀況，先行調查再補件")
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: tomorrow)
    case = transition(open_case(), "investigation", by=users["manager"], override=True, reason="緊急狀況，先行調查再補件")
    assert case.stage == Stage.INVESTIGATION


# what the stage bar shows


def test_available_transitions_show_met_and_missing_guards(open_case: Any, users: dict[str, Any], company: dict[str, Any]) -> None:
    case = open_case(category=company["category"])
    options = {o.id: o for o in available_transitions(case, users["agent"])}
    start = options["start_investigation"]
    assert {g.id: g.met for g in start.guards} == {
        "category_set": True, "severity_set": False, "department_set": False, "customer_acknowledged": False,
    }
    assert not start.ready and start.role_allowed and not start.can_override
    assert options["close_spam"].role_allowed is False


def test_refusal_speaks_the_users_language(open_case: Any, users: dict[str, Any]) -> None:
    from django.utils import translation

    case = open_case()
    with translation.override("en"), pytest.raises(TransitionRefused) as exc:
        transition(case, "investigation", by=users["agent"])
    assert "A category is chosen" in [g.requirement for g in exc.value.failed_guards]


# policy versions


def test_a_case_keeps_the_policy_version_it_was_opened_under(open_case: Any, users: dict[str, Any]) -> None:
    old = open_case()
    data = dict(old.policy.document)
    data["transitions"] = [dict(t) for t in data["transitions"]]
    for t in data["transitions"]:
        if t["id"] == "start_investigation":
            t["guards"] = ["category_set"]
    v2 = load_policy_data(data, source="test.toml")
    assert v2.number == 2
    new = open_case()
    assert new.policy == v2 and old.policy.number == 1
    with pytest.raises(TransitionRefused) as exc:
        transition(old, "investigation", by=users["agent"], fields={"category": "cold-food"})
    assert "severity_set" in failed_ids(exc)
    assert transition(new, "investigation", by=users["agent"], fields={"category": "cold-food"}).stage == Stage.INVESTIGATION


def test_loading_the_same_policy_twice_is_one_version(open_case: Any) -> None:
    case = open_case()
    assert load_policy_data(case.policy.document, source="again.toml") == case.policy


def test_a_policy_with_unknown_names_is_refused(db: Any) -> None:
    bad = {
        "name": "broken", "reopen_window_days": 30, "compensation_approval_threshold": 1000,
        "override_daily_limit": 3, "min_reason_length": 10, "qa_checklist": [{"id": "a", "en": "A"}],
        "transitions": [{"id": "x", "from": ["intake"], "to": "done", "roles": ["wizard"], "guards": ["moon_is_full"]}],
    }
    with pytest.raises(PolicyError) as exc:
        load_policy_data(bad, source="bad.toml")
    text = " ".join(exc.value.problems)
    assert "done" in text and "wizard" in text and "moon_is_full" in text
