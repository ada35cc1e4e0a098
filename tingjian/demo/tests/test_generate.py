"""Synthetic cases for benchmarks are consistent, varied, repeatable and safe to build on."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import override_settings

from tingjian.cases import services as case_services
from tingjian.cases.models import (
    Case,
    CaseLink,
    CaseNumberSequence,
    Message,
    Note,
    Override,
    QAReview,
    Stage,
)
from tingjian.customers.models import Customer
from tingjian.demo.generator import GenerationResult, generate
from tingjian.sla.models import Clock

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 15, 4, 30, tzinfo=UTC)
HANT_ONLY = re.compile("[們這發點體還給說謝應預選]")
HANS_ONLY = re.compile("[们这发点体还给说谢应预选]")


@pytest.fixture(scope="module")
def generated(django_db_setup: Any, django_db_blocker: Any) -> Iterator[GenerationResult]:
    """300 cases over 120 days into an empty database, shared by the module, rolled back at its end."""
    # The demo users the generator creates in an empty database need no strong hashing here.
    fast_hashing = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast_hashing, transaction.atomic():
        yield generate(300, seed=7, days=120, batch=120, now=NOW)
        transaction.set_rollback(True)


def _fingerprint() -> list[tuple[Any, ...]]:
    """What a reader sees of the cases, without database ids."""
    cases = Case.objects.order_by("number").values_list(
        "number", "subject", "stage", "opened_at", "closed_at", "category__code", "branch__code",
        "severity", "customer__display_name", "origin_channel",
    )
    bodies = Message.objects.order_by("case__number", "sent_at", "id").values_list("case__number", "direction", "body")
    return [*cases, *bodies]


def test_generating_makes_the_cases_and_their_conversations(generated: GenerationResult) -> None:
    assert generated.cases == Case.objects.count() == 300
    assert generated.messages == Message.objects.count()
    assert generated.notes == Note.objects.count() > 0
    assert generated.customers == Customer.objects.count()
    counts = Counter(Case.objects.annotate(n=Count("messages")).values_list("n", flat=True))
    assert set(counts) <= set(range(1, 7))
    assert max(counts) >= 4


def test_every_timestamp_follows_the_opening_and_none_is_in_the_future(generated: GenerationResult) -> None:
    cases = Case.objects.all()
    assert not cases.filter(closed_at__lt=F("opened_at")).exists()
    assert not cases.filter(first_response_at__lt=F("opened_at")).exists()
    assert not cases.filter(investigation_at__lt=F("opened_at")).exists()
    # A reopened case keeps its first pass's response and QA times, as the engine does.
    first_pass = cases.filter(reopen_count=0)
    assert not first_pass.filter(Q(response_at__lt=F("investigation_at")) | Q(qa_at__lt=F("response_at"))).exists()
    assert not first_pass.filter(closed_at__lt=F("qa_at")).exists()
    assert not cases.filter(Q(opened_at__gt=NOW) | Q(closed_at__gt=NOW) | Q(updated_at__gt=NOW)).exists()
    assert not Message.objects.filter(Q(sent_at__gt=NOW) | Q(sent_at__lt=F("case__opened_at"))).exists()
    assert not Message.objects.filter(case__stage=Stage.CLOSED, sent_at__gt=F("case__closed_at")).exists()


def test_a_case_is_closed_exactly_when_it_has_a_closing_time(generated: GenerationResult) -> None:
    assert not Case.objects.filter(stage=Stage.CLOSED, closed_at__isnull=True).exists()
    assert not Case.objects.exclude(stage=Stage.CLOSED).filter(closed_at__isnull=False).exists()
    resolved = Case.objects.filter(stage=Stage.CLOSED, close_reason="resolved")
    assert resolved.exists()
    assert not resolved.filter(Q(root_cause__isnull=True) | Q(resolution_code="") | Q(first_response_at__isnull=True)).exists()
    assert set(Case.objects.filter(stage=Stage.CLOSED).values_list("close_reason", flat=True)) <= {"resolved", "duplicate", "spam"}


def test_sla_clocks_agree_with_the_case_they_time(generated: GenerationResult) -> None:
    assert generated.clocks == Clock.objects.count() > 0
    for clock in Clock.objects.select_related("case"):
        done = clock.case.first_response_at if clock.kind == "first_response" else clock.case.closed_at
        assert clock.met_at == done
        late = done > clock.due_at if done else clock.due_at <= NOW
        assert (clock.breached_at is not None) == late, clock
    assert Clock.objects.filter(breached_at__isnull=False).exists()
    assert not Clock.objects.filter(case__close_reason__in=["spam", "duplicate"]).exists()


def test_closed_cases_carry_a_qa_sign_off_and_a_few_were_overridden(generated: GenerationResult) -> None:
    resolved = Case.objects.filter(stage=Stage.CLOSED, close_reason="resolved")
    assert QAReview.objects.filter(case__in=resolved).values("case").distinct().count() == resolved.filter(qa_at__isnull=False).count()
    assert generated.overrides == Override.objects.count() > 0
    assert all(o.failed_guards == ["qa_signed"] for o in Override.objects.all())


def test_old_cases_are_mostly_closed_and_recent_ones_mostly_open(generated: GenerationResult) -> None:
    old = Case.objects.filter(opened_at__lt=NOW - timedelta(days=30))
    recent = Case.objects.filter(opened_at__gte=NOW - timedelta(days=3))
    assert old.filter(stage=Stage.CLOSED).count() >= 0.9 * old.count()
    assert recent.exclude(stage=Stage.CLOSED).count() > recent.filter(stage=Stage.CLOSED, close_reason="resolved").count()


def test_the_three_languages_are_all_written(generated: GenerationResult) -> None:
    languages = Counter(Case.objects.values_list("customer__language", flat=True))
    assert languages["zh-hant"] > languages["zh-hans"] > languages["en"] > 0
    first = {m.case_id: m.body for m in Message.objects.filter(direction="in").order_by("-sent_at")}
    bodies = list(first.values())
    assert any(HANT_ONLY.search(b) and not HANS_ONLY.search(b) for b in bodies)
    assert any(HANS_ONLY.search(b) and not HANT_ONLY.search(b) for b in bodies)
    assert any(re.fullmatch(r"[\x20-\x7e…]+", b) for b in bodies)
    lengths = sorted(len(b) for b in bodies)
    assert lengths[0] >= 20 and lengths[len(lengths) // 2] >= 50 and lengths[-1] > 200


def test_severity_is_skewed_and_personal_safety_is_rare_and_s1(generated: GenerationResult) -> None:
    severities = Counter(Case.objects.exclude(severity=None).values_list("severity", flat=True))
    assert severities[1] < severities[2] < severities[3]
    assert Case.objects.filter(safety=True).count() <= 0.05 * Case.objects.count()
    assert not Case.objects.filter(safety=True).exclude(severity=1).exists()


def test_customers_come_back_with_new_complaints(generated: GenerationResult) -> None:
    per_customer = Counter(Case.objects.values_list("customer_id", flat=True))
    assert sum(1 for n in per_customer.values() if n > 1) >= 10
    assert max(per_customer.values()) >= 3


def test_every_message_is_written_by_its_case_customer(generated: GenerationResult) -> None:
    inbound = Message.objects.filter(author_identity__isnull=False)
    assert inbound.exists()
    assert not inbound.exclude(author_identity__customer_id=F("case__customer_id")).exists()
    assert not Message.objects.filter(direction="out", author_identity__isnull=False).exists()


def test_a_duplicate_points_at_an_earlier_case_of_the_same_customer(generated: GenerationResult) -> None:
    links = CaseLink.objects.filter(kind="duplicate_of").select_related("from_case", "to_case")
    assert links.exists()
    for link in links:
        assert link.from_case.customer_id == link.to_case.customer_id
        assert link.to_case.opened_at <= link.from_case.opened_at
        assert link.from_case.close_reason == "duplicate"


def test_the_case_number_sequence_continues_so_open_case_still_works(generated: GenerationResult) -> None:
    for year, last in CaseNumberSequence.objects.values_list("year", "last"):
        numbers = Case.objects.filter(number__startswith=f"C-{year}-").values_list("number", flat=True)
        assert max(numbers) == f"C-{year}-{last:06d}"
    agent = get_user_model().objects.get(username="agent")
    case = case_services.open_case(
        customer=Customer.objects.first(), subject="Cold soup", channel="phone", body="The soup was cold.", by=agent,
    )
    year = int(case.number.split("-")[1])
    assert case.number == f"C-{year}-{CaseNumberSequence.objects.get(year=year).last:06d}"
    assert Case.objects.filter(number=case.number).count() == 1


def test_the_same_seed_gives_the_same_cases_and_another_seed_others(generated: GenerationResult) -> None:
    runs = []
    for seed in (3, 3, 4):
        with transaction.atomic():
            generate(40, seed=seed, days=30, batch=15, now=NOW)
            runs.append(_fingerprint())
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


DEVELOPMENT = {"DEBUG": True}


@pytest.mark.parametrize("arguments", [
    ["--cases", "0"], ["--cases", "-5"], ["--cases", "1000000000"], ["--cases", "10", "--batch", "0"],
    ["--cases", "10", "--days", "0"], ["--cases", "ten"], [],
])
def test_impossible_arguments_are_refused(arguments: list[str]) -> None:
    before = Case.objects.count()
    with override_settings(**DEVELOPMENT), pytest.raises(CommandError):
        call_command("generate", *arguments, "--no-index", stdout=StringIO())
    assert Case.objects.count() == before


def test_the_command_refuses_to_run_with_debug_off() -> None:
    before = Case.objects.count()
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="--force"):
        call_command("generate", "--cases", "5", "--no-index", stdout=StringIO())
    assert Case.objects.count() == before


def test_the_command_reports_progress_and_makes_the_new_cases_searchable(monkeypatch: pytest.MonkeyPatch) -> None:
    from tingjian.cases import indexing

    calls: list[dict[str, Any]] = []

    def reindex(case_ids: Any, *, since_id: int, progress: Any) -> int:
        calls.append({"case_ids": case_ids, "since_id": since_id})
        progress(1, 1)
        return 1

    monkeypatch.setattr(indexing, "reindex_cases", reindex)
    last = Case.objects.order_by("pk").last()
    out = StringIO()
    with override_settings(**DEVELOPMENT):
        call_command("generate", "--cases", "25", "--batch", "10", "--days", "20", stdout=out)
    text = out.getvalue()
    assert "25 / 25 cases" in text and "rows/s" in text
    assert "Done: 25 cases" in text
    first_new = Case.objects.filter(pk__gt=last.pk if last else 0).order_by("pk").first()
    assert first_new is not None
    assert calls == [{"case_ids": None, "since_id": first_new.pk}]


def test_no_index_skips_indexing(monkeypatch: pytest.MonkeyPatch) -> None:
    from tingjian.cases import indexing

    monkeypatch.setattr(indexing, "reindex_cases", lambda *a, **k: pytest.fail("indexed despite --no-index"))
    before = Case.objects.count()
    with override_settings(**DEVELOPMENT):
        call_command("generate", "--cases", "5", "--no-index", stdout=StringIO())
    assert Case.objects.count() == before + 5
