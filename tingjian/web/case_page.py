"""What the case page shows: the case, its stage bar, the steps out and the timeline.

Only presentation is decided here; which steps exist, who may take them and which guards
hold come from ``cases.workflow`` (templates mirror it, the engine decides on POST).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from tingjian.audit.models import AuditEvent
from tingjian.cases import selectors
from tingjian.cases.errors import TransitionRefused
from tingjian.cases.models import Case, Stage
from tingjian.cases.models.case import STAGE_ORDER
from tingjian.cases.workflow import TransitionOption, available_transitions, policy_document
from tingjian.channels.outbound import reply_targets
from tingjian.customers import selectors as customer_selectors
from tingjian.sla import selectors as sla_selectors
from tingjian.surveys import selectors as survey_selectors

from .forms import CaseEditForm, NoteForm, ReplyForm, SafetyDowngradeRequestForm, WaitingForm
from .sla_display import clock_rows

# Messages of the customer, across channels and cases, shown beside the case.
CUSTOMER_TIMELINE = 12


@dataclass
class StageStep:
    value: str
    label: str
    state: str  # "done" | "current" | "todo"


@dataclass
class StepPanel:
    """One transition as the template renders it."""

    option: TransitionOption
    checklist: list[Any] = field(default_factory=list)
    asks_duplicate: bool = False

    @property
    def overridable_missing(self) -> list[Any]:
        return [g for g in self.option.guards if not g.met]

    @property
    def failed_hard_rules(self) -> list[Any]:
        return [h for h in self.option.hard_rules if not h.met]

    @property
    def ready(self) -> bool:
        """Ready, counting the checklist as signable in this very form (it is signed on POST)."""
        pending = {"qa_checklist_signed"} if self.checklist else set()
        outstanding = [g for g in self.option.missing if g.id not in pending]
        return self.option.role_allowed and not outstanding

    def is_pending(self, guard: Any) -> bool:
        return bool(self.checklist) and guard.id == "qa_checklist_signed" and not guard.met

    @property
    def guard_rows(self) -> list[tuple[Any, str]]:
        """Each guard with its state: "met", "missing", "pending" (sign below) or "hard"."""
        rows = []
        for g in self.option.guards:
            rows.append((g, "met" if g.met else "pending" if self.is_pending(g) else "missing"))
        for g in self.option.hard_rules:
            rows.append((g, "met" if g.met else "hard"))
        return rows

    @property
    def show_override(self) -> bool:
        return self.option.can_override and bool(self.overridable_missing)


def stage_bar(case: Case) -> list[StageStep]:
    current = STAGE_ORDER.index(Stage(case.stage))
    return [
        StageStep(
            value=stage.value, label=str(stage.label),
            state="done" if i < current else "current" if i == current else "todo",
        )
        for i, stage in enumerate(STAGE_ORDER)
    ]


def step_panels(case: Case, user: Any) -> list[StepPanel]:
    checklist = list(policy_document(case.policy).qa_checklist)
    return [
        StepPanel(
            option=option,
            checklist=checklist if "qa_checklist_signed" in option.transition.guards else [],
            asks_duplicate="duplicate_of_set" in option.transition.guards,
        )
        for option in available_transitions(case, user)
        if option.role_allowed
    ]


def _stage_label(value: Any) -> str:
    return str(Stage(value).label) if value in Stage.values else str(value or "")


def _field_labels(names: Any) -> str:
    labels = []
    for name in names or []:
        try:
            labels.append(str(getattr(Case._meta.get_field(name), "verbose_name", name)))
        except FieldDoesNotExist:  # an audit key that is no model field is shown as is
            labels.append(str(name))
    return ", ".join(labels)


def event_text(event: AuditEvent) -> str:
    """An audit event in the reader's language; unknown actions fall back to the summary."""
    before, after = event.before or {}, event.after or {}
    if event.action == "case.created":
        return str(_("Case opened"))
    if event.action == "case.transition":
        text = _("Stage: %(from)s → %(to)s") % {"from": _stage_label(before.get("stage")), "to": _stage_label(after.get("stage"))}
        return text + (" " + str(_("(by override)")) if after.get("override") else "")
    if event.action == "case.override":
        return str(_("Override past unmet criteria: %(guards)s") % {"guards": ", ".join(after.get("failed_guards", []))})
    if event.action == "case.changed":
        return str(_("Changed: %(fields)s") % {"fields": _field_labels(after.keys())})
    if event.action == "case.compensation_approved":
        return str(_("Compensation of %(amount)s approved") % {"amount": after.get("amount", "")})
    if event.action == "case.linked":
        return str(_("Linked to case %(number)s") % {"number": after.get("to", "")})
    if event.action == "sla.recomputed":
        return str(_("Service-level clocks recomputed (%(why)s)") % {"why": event.reason or "—"})
    if event.action == "sla.breached":
        return str(_("Service-level target breached: %(clock)s") % {"clock": _clock_label(after.get("kind") or event.summary)})
    if event.action == "sla.escalated":
        told = ", ".join(after.get("told", []))
        return str(_("Escalated (rung %(rung)s) to %(people)s") % {"rung": after.get("rung", "?"), "people": told or "—"})
    if event.action == "case.safety_downgrade_requested":
        return str(_("Asked a manager to remove the personal-safety flag"))
    return event.summary


def _clock_label(value: str) -> str:
    from tingjian.sla.models import ClockKind

    for kind in ClockKind:
        if kind.value in value:
            return str(kind.label)
    return value


def timeline_rows(case: Case) -> list[tuple[Any, str]]:
    return [
        (entry, event_text(entry.item) if entry.kind == "event" else "")
        for entry in selectors.timeline(case)
    ]


def is_safety_case(case: Case) -> bool:
    """Personal safety flagged, or S1: lowering it needs a manager and a reason."""
    return bool(case.safety) or case.severity == 1


def edit_form_for(case: Case, user: Any, data: Any = None) -> CaseEditForm:
    """The fields form; managers get the reason a safety downgrade needs on a safety case."""
    asks_reason = is_safety_case(case) and user.has_perm("cases.approve_safety_downgrade")
    return CaseEditForm(data, case=case, asks_reason=asks_reason)


def case_page_context(
    case: Case,
    user: Any,
    *,
    edit_form: CaseEditForm | None = None,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    safety_request_form: SafetyDowngradeRequestForm | None = None,
    refusal: TransitionRefused | None = None,
    posted: dict[str, Any] | None = None,
) -> dict[str, Any]:
    may_change = user.has_perm("cases.change_case") and case.is_open
    may_reply = user.has_perm("cases.add_message") and case.is_open
    targets = reply_targets(case) if may_reply else []
    sla_rows = clock_rows(case, user) if user.has_perm("sla.view_clock") else []
    may_request_downgrade = (
        may_change and is_safety_case(case) and not user.has_perm("cases.approve_safety_downgrade")
    )
    return {
        "case": case,
        "stages": stage_bar(case),
        "panels": step_panels(case, user),
        "timeline": timeline_rows(case),
        "customer_cases": selectors.customer_cases(user, case),
        "identities": list(case.customer.identities.all()),
        "edit_form": (edit_form or edit_form_for(case, user)) if may_change else None,
        "open_clocks": [row for row in sla_rows if row.clock.is_open],
        "stopped_clocks": [row for row in sla_rows if not row.clock.is_open],
        "shows_sla": user.has_perm("sla.view_clock"),
        "waiting_form": WaitingForm(initial={"waiting_on": case.waiting_on}) if may_change else None,
        "pausing": list(sla_selectors.current_settings().pause_on or []) if may_change else [],
        "safety_request_form": (safety_request_form or SafetyDowngradeRequestForm()) if may_request_downgrade else None,
        "reply_form": reply_form or ReplyForm(targets=targets),
        "reply_targets": targets,
        "customer_timeline": list(selectors.customer_messages(user, case.customer_id)[:CUSTOMER_TIMELINE]),
        "suggestions": customer_selectors.suggestions_with_other(case.customer) if user.has_perm("customers.change_customer") else [],
        "note_form": note_form or NoteForm(),
        "may_reply": may_reply,
        "may_note": user.has_perm("cases.add_note"),
        "may_approve_compensation": (
            user.has_perm("cases.approve_compensation") and case.is_open
            and case.compensation_amount is not None and case.compensation_approved_by_id is None
        ),
        "survey": survey_selectors.survey_for_case(case),
        "refusal": refusal,
        "posted": posted or {},
        "override_warning": _(
            "An override is recorded with your reason, counts against your daily limit, "
            "and notifies every manager and executive."
        ),
    }
