"""Complaints per 10,000: the figure, the denominators grid, publishing and disputes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.alerts.models import Notification
from tingjian.audit.models import AuditEvent
from tingjian.cases import services as case_services
from tingjian.cases.models import Case
from tingjian.insights.models import Basis, Denominator, Dispute, DisputeStatus, Publication
from tingjian.insights.rates import denominators, figures, publishing
from tingjian.insights.rates.csvfile import DenominatorsRejected
from tingjian.org.tests.factories import BranchFactory, make_user

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026, 09:00 in Taipei: February is over, March is not.
NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
FEBRUARY = date(2026, 2, 1)
MARCH = date(2026, 3, 1)
APRIL = date(2026, 4, 1)
# 10:00 on 14 February in Taipei.
IN_FEBRUARY = datetime(2026, 2, 14, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def branch(company: dict[str, Any]) -> Any:
    return company["branch"]


@pytest.fixture
def complaints(customer: Any, branch: Any, users: Any) -> Callable[..., list[Case]]:
    def make(n: int, *, at: datetime = IN_FEBRUARY, **fields: Any) -> list[Case]:
        fields.setdefault("branch", branch)
        return [
            case_services.open_case(
                customer=customer, subject="湯麵送到時已經冷掉", channel="phone", body="外送的牛肉麵送到時湯是冷的。",
                by=users["agent"], sent_at=at, fields=dict(fields),
            )
            for _ in range(n)
        ]

    return make


def _denominator(branch: Any, month: date, value: int, basis: str = Basis.CUSTOMERS) -> Denominator:
    return Denominator.objects.create(branch=branch, month=month, value=value, basis=basis)


def _figure(month: date, branch: Any) -> figures.Figure:
    return next(f for f in figures.live_figures(month) if f.branch_id == branch.pk)


# ------------------------------------------------------------------------------ the figure


def test_three_complaints_among_15000_customers_is_2_per_10000(complaints: Any, branch: Any) -> None:
    complaints(3)
    _denominator(branch, FEBRUARY, 15_000)

    figure = _figure(FEBRUARY, branch)

    assert (figure.complaints, figure.denominator, figure.rate) == (3, 15_000, 2.0)


def test_a_branch_without_a_denominator_has_no_figure(complaints: Any, branch: Any) -> None:
    complaints(2)

    figure = _figure(FEBRUARY, branch)

    assert figure.complaints == 2
    assert figure.rate is None
    assert figure.note == "no denominator"


def test_zero_is_never_divided_by() -> None:
    assert figures.rate(5, 0) is None
    assert figures.rate(5, None) is None


def test_the_month_is_the_branchs_local_month(complaints: Any, branch: Any) -> None:
    # 23:30 on 28 February in Taipei is 15:30 UTC: February there.
    complaints(1, at=datetime(2026, 2, 28, 15, 30, tzinfo=UTC))
    # 00:30 on 1 March in Taipei is still 28 February in UTC: March there.
    complaints(1, at=datetime(2026, 2, 28, 16, 30, tzinfo=UTC))

    assert _figure(FEBRUARY, branch).complaints == 1
    assert _figure(MARCH, branch).complaints == 1


def test_spam_and_duplicates_are_not_complaints(complaints: Any, branch: Any) -> None:
    spam, duplicate, real = complaints(3)
    Case.objects.filter(pk=spam.pk).update(close_reason="spam")
    Case.objects.filter(pk=duplicate.pk).update(close_reason="duplicate")

    assert _figure(FEBRUARY, branch).complaints == 1


def test_cases_of_other_branches_and_without_branch_do_not_count(complaints: Any, branch: Any) -> None:
    other = BranchFactory(code="tpe-daan")
    complaints(2, branch=other)
    complaints(1, branch=None)

    assert _figure(FEBRUARY, branch).complaints == 0
    assert _figure(FEBRUARY, other).complaints == 2


def test_transactions_can_be_the_denominator(complaints: Any, branch: Any) -> None:
    complaints(1)
    _denominator(branch, FEBRUARY, 40_000, Basis.TRANSACTIONS)

    figure = _figure(FEBRUARY, branch)

    assert figure.rate == 0.25
    assert figure.basis == Basis.TRANSACTIONS


# ------------------------------------------------------------------------------ publishing


def test_publishing_freezes_every_branchs_figure_as_version_1(complaints: Any, branch: Any, users: Any) -> None:
    complaints(3)
    _denominator(branch, FEBRUARY, 15_000)

    publication = publishing.publish(FEBRUARY, by=users["executive"])

    assert publication.version == 1
    assert publication.figures == [{
        "branch": branch.pk, "code": branch.code, "complaints": 3, "denominator": 15_000,
        "basis": "customers", "rate": 2.0,
    }]


def test_published_period_stays_frozen_after_new_cases_and_new_denominators(complaints: Any, branch: Any, users: Any) -> None:
    complaints(3)
    denominator = _denominator(branch, FEBRUARY, 15_000)
    publication = publishing.publish(FEBRUARY, by=users["executive"])

    complaints(2)  # filed late, but opened in February
    denominator.value = 20_000
    denominator.save()

    frozen = figures.published_figures(Publication.objects.get(pk=publication.pk))[0]
    assert (frozen.complaints, frozen.denominator, frozen.rate) == (3, 15_000, 2.0)
    assert _figure(FEBRUARY, branch).complaints == 5


def test_a_correction_needs_a_reason(complaints: Any, branch: Any, users: Any) -> None:
    complaints(1)
    publishing.publish(FEBRUARY, by=users["executive"])
    complaints(1)

    with pytest.raises(ValidationError) as refused:
        publishing.publish(FEBRUARY, by=users["executive"], reason="  ")

    assert "reason" in refused.value.message_dict
    assert Publication.objects.filter(month=FEBRUARY).count() == 1


def test_a_correction_is_version_2_and_leaves_version_1_as_it_was(complaints: Any, branch: Any, users: Any) -> None:
    complaints(1)
    first = publishing.publish(FEBRUARY, by=users["executive"])
    complaints(1)

    second = publishing.publish(FEBRUARY, by=users["executive"], reason="兩件客訴晚了一天才登錄")

    first.refresh_from_db()
    assert (second.version, second.figures[0]["complaints"], second.reason) == (2, 2, "兩件客訴晚了一天才登錄")
    assert first.figures[0]["complaints"] == 1


def test_a_correction_that_changes_nothing_is_refused(complaints: Any, users: Any) -> None:
    complaints(1)
    publishing.publish(FEBRUARY, by=users["executive"])

    with pytest.raises(ValidationError, match="nothing to correct"):
        publishing.publish(FEBRUARY, by=users["executive"], reason="again")


@pytest.mark.parametrize("month", [MARCH, APRIL], ids=["open month", "future month"])
def test_a_month_that_is_not_over_cannot_be_published(month: date, users: Any) -> None:
    with pytest.raises(ValidationError, match="not over"):
        publishing.publish(month, by=users["executive"])

    assert not Publication.objects.exists()


def test_the_month_is_over_only_when_it_is_over_in_every_branch(users: Any, traveller: Any) -> None:
    BranchFactory(code="lax", time_zone="America/Los_Angeles")
    # 1 March 08:00 in Taipei is still 28 February in Los Angeles.
    traveller.move_to(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))

    with pytest.raises(ValidationError, match="not over"):
        publishing.publish(FEBRUARY, by=users["executive"])


def test_only_publishers_publish(users: Any) -> None:
    with pytest.raises(PermissionDenied):
        publishing.publish(FEBRUARY, by=users["qa"])


def test_publishing_is_audited_and_tells_managers_and_executives(complaints: Any, users: Any) -> None:
    complaints(1)
    other_executive = make_user("executive2", "executive")

    publication = publishing.publish(FEBRUARY, by=users["executive"])

    assert AuditEvent.objects.filter(action="insights.rates_published", object_id=str(publication.pk)).exists()
    told = set(Notification.objects.filter(kind="insights.published").values_list("recipient__username", flat=True))
    assert told == {"manager", other_executive.username}


# -------------------------------------------------------------------------------- disputes


@pytest.fixture
def published(complaints: Any, branch: Any, users: Any) -> Publication:
    complaints(3)
    _denominator(branch, FEBRUARY, 15_000)
    return publishing.publish(FEBRUARY, by=users["executive"])


def test_a_manager_disputes_a_figure_and_it_is_kept_beside_it(published: Publication, branch: Any, users: Any) -> None:
    publishing.file_dispute(published, branch_id=branch.pk, text="其中一件是總部的客訴，不是本店的。", by=users["manager"])

    row = next(r for r in figures.month_view(FEBRUARY).rows if r.live.branch_id == branch.pk)
    assert [(d.text, d.status) for d in row.disputes] == [("其中一件是總部的客訴，不是本店的。", DisputeStatus.OPEN)]


def test_filing_a_dispute_tells_the_publishers_and_is_audited(published: Publication, branch: Any, users: Any) -> None:
    dispute = publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["manager"])

    told = set(Notification.objects.filter(kind="insights.dispute").values_list("recipient__username", flat=True))
    assert told == {"executive", "admin"}
    assert AuditEvent.objects.filter(action="insights.rate_disputed", object_id=str(dispute.pk)).exists()


def test_a_dispute_needs_a_text(published: Publication, branch: Any, users: Any) -> None:
    with pytest.raises(ValidationError):
        publishing.file_dispute(published, branch_id=branch.pk, text=" ", by=users["manager"])


def test_agents_may_not_dispute(published: Publication, branch: Any, users: Any) -> None:
    with pytest.raises(PermissionDenied):
        publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["agent"])


def test_a_corrected_version_cannot_be_disputed(published: Publication, complaints: Any, branch: Any, users: Any) -> None:
    complaints(1)
    publishing.publish(FEBRUARY, by=users["executive"], reason="late cases")

    with pytest.raises(ValidationError, match="latest version"):
        publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["manager"])


def test_accepting_a_dispute_changes_no_publication(published: Publication, branch: Any, users: Any) -> None:
    dispute = publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["manager"])

    answered = publishing.answer_dispute(dispute, accept=True, answer="確認，下個版本更正。", by=users["executive"])

    published.refresh_from_db()
    assert answered.status == DisputeStatus.ACCEPTED
    assert published.figures[0]["complaints"] == 3
    assert Publication.objects.count() == 1
    assert Notification.objects.filter(recipient=users["manager"], kind="insights.dispute").exists()


def test_a_dispute_is_answered_once(published: Publication, branch: Any, users: Any) -> None:
    dispute = publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["manager"])
    publishing.answer_dispute(dispute, accept=False, answer="The cases are the branch's.", by=users["executive"])

    with pytest.raises(ValidationError, match="already answered"):
        publishing.answer_dispute(dispute, accept=True, answer="changed my mind", by=users["executive"])


def test_nobody_answers_their_own_dispute(published: Publication, branch: Any, users: Any) -> None:
    dispute = publishing.file_dispute(published, branch_id=branch.pk, text="wrong", by=users["manager"])

    with pytest.raises(PermissionDenied):
        publishing.answer_dispute(dispute, accept=True, answer="ok", by=users["manager"])

    assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.OPEN


# ---------------------------------------------------------------------------- the grid


def test_the_grid_saves_typed_values_with_an_audit_event(branch: Any, users: Any) -> None:
    outcome = denominators.save_grid(2026, {(branch.pk, 1): "12,000", (branch.pk, 2): "15000"}, {branch.pk: "customers"}, by=users["manager"])

    assert outcome.created == 2
    assert dict(Denominator.objects.values_list("month", "value")) == {date(2026, 1, 1): 12_000, FEBRUARY: 15_000}
    assert AuditEvent.objects.filter(action="insights.denominators_changed").count() == 1


def test_an_emptied_cell_removes_the_denominator(branch: Any, users: Any) -> None:
    _denominator(branch, FEBRUARY, 15_000)

    outcome = denominators.save_grid(2026, {(branch.pk, 2): ""}, {}, by=users["manager"])

    assert outcome.removed == 1
    assert not Denominator.objects.exists()


@pytest.mark.parametrize("typed", ["0", "-5", "abc", "12.5"])
def test_a_wrong_cell_saves_nothing(typed: str, branch: Any, users: Any) -> None:
    with pytest.raises(DenominatorsRejected) as refused:
        denominators.save_grid(2026, {(branch.pk, 1): "12000", (branch.pk, 2): typed}, {}, by=users["manager"])

    assert len(refused.value.problems) == 1
    assert "2026-02" in str(refused.value.problems[0])
    assert not Denominator.objects.exists()


def test_a_month_that_has_not_begun_takes_no_denominator(branch: Any, users: Any) -> None:
    with pytest.raises(DenominatorsRejected, match="not begun"):
        denominators.save_grid(2026, {(branch.pk, 4): "12000"}, {}, by=users["manager"])


def test_agents_may_not_change_denominators(branch: Any, users: Any) -> None:
    with pytest.raises(PermissionDenied):
        denominators.save_grid(2026, {(branch.pk, 1): "12000"}, {}, by=users["agent"])
