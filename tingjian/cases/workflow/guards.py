"""Guards (exit criteria) and hard rules, named by the policy files.

A guard answers one question about a case ("is a root cause chosen?"). A failed guard
may be forced past by a break-glass override; a failed *hard rule* never yields, whoever
asks. Each guard carries the requirement in words, shown in the user's language on the
stage bar (met / missing) and in every refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..models import Direction, LinkKind

if TYPE_CHECKING:
    from ..models import Case
    from .policy import PolicyDocument


@dataclass
class GuardContext:
    case: Case
    user: Any
    policy: PolicyDocument
    checklist: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Guard:
    id: str
    requirement: Promise
    check: Callable[[GuardContext], bool]
    hard: bool = False


@dataclass(frozen=True)
class GuardResult:
    id: str
    requirement: str
    met: bool
    hard: bool

    def as_dict(self) -> dict[str, Any]:
        return {"guard": self.id, "requirement": self.requirement, "met": self.met, "hard": self.hard}


GUARDS: dict[str, Guard] = {}


def guard(id: str, requirement: Promise, *, hard: bool = False) -> Callable[[Callable[[GuardContext], bool]], Callable[[GuardContext], bool]]:
    def register(check: Callable[[GuardContext], bool]) -> Callable[[GuardContext], bool]:
        GUARDS[id] = Guard(id=id, requirement=requirement, check=check, hard=hard)
        return check

    return register


@guard("category_set", _("A category is chosen"))
def _category_set(ctx: GuardContext) -> bool:
    return ctx.case.category_id is not None


@guard("severity_set", _("A severity is set"))
def _severity_set(ctx: GuardContext) -> bool:
    return ctx.case.severity is not None


@guard("department_set", _("A department owns the case"))
def _department_set(ctx: GuardContext) -> bool:
    return ctx.case.department_id is not None


@guard("customer_acknowledged", _("The customer has been acknowledged (a reply was sent)"))
def _customer_acknowledged(ctx: GuardContext) -> bool:
    # An automatic acknowledgement is not a person answering.
    return ctx.case.messages.filter(direction=Direction.OUTBOUND, automatic=False).exists()


@guard("findings_written", _("Findings are written"))
def _findings_written(ctx: GuardContext) -> bool:
    return bool(ctx.case.findings.strip())


@guard("root_cause_chosen", _("A root cause is chosen"))
def _root_cause_chosen(ctx: GuardContext) -> bool:
    return ctx.case.root_cause_id is not None


@guard("resolution_reply_sent", _("A reply carrying the resolution was sent to the customer"))
def _resolution_reply_sent(ctx: GuardContext) -> bool:
    return ctx.case.messages.filter(direction=Direction.OUTBOUND, carries_resolution=True).exists()


@guard("resolution_code_set", _("A resolution code is set"))
def _resolution_code_set(ctx: GuardContext) -> bool:
    return bool(ctx.case.resolution_code)


@guard("compensation_approved", _("Compensation above the policy threshold is approved by a manager"))
def _compensation_approved(ctx: GuardContext) -> bool:
    amount = ctx.case.compensation_amount
    if amount is None or amount <= ctx.policy.compensation_approval_threshold:
        return True
    return ctx.case.compensation_approved_by_id is not None


@guard("qa_checklist_signed", _("The QA checklist is signed, every item checked"))
def _qa_checklist_signed(ctx: GuardContext) -> bool:
    return all(ctx.checklist.get(item.id) is True for item in ctx.policy.qa_checklist)


@guard("duplicate_of_set", _("The master case this duplicates is linked"))
def _duplicate_of_set(ctx: GuardContext) -> bool:
    return ctx.case.links_out.filter(kind=LinkKind.DUPLICATE_OF).exists()


@guard(
    "reviewer_independent",
    _("The QA reviewer is neither the assignee nor the author of the resolution reply"),
    hard=True,
)
def _reviewer_independent(ctx: GuardContext) -> bool:
    user_id = getattr(ctx.user, "pk", None)
    if user_id is None or ctx.case.assignee_id == user_id:
        return False
    return not ctx.case.messages.filter(
        direction=Direction.OUTBOUND, carries_resolution=True, author_user_id=user_id
    ).exists()


def run(names: tuple[str, ...], ctx: GuardContext) -> list[GuardResult]:
    results = []
    for name in names:
        g = GUARDS[name]
        results.append(GuardResult(id=g.id, requirement=str(g.requirement), met=bool(g.check(ctx)), hard=g.hard))
    return results
