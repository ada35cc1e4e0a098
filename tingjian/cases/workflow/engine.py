"""Moving a case: check, move, audit, notify — in one transaction.

The sequence follows Saleor's ``cancel_order``: lock the row, re-read, check, change, record
an event, then side effects. Order of checks: the transition exists in the case's policy
version → the user may see the case and holds one of its roles → a required reason is
given → hard rules (never overridable) → guards (overridable, with the override
permission, a reason and within the daily limit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from tingjian import clock
from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.org.roles import role_names
from tingjian.org.selectors import users_with_role
from tingjian.sla import services as sla

from .. import indexing, permissions, services
from ..errors import TransitionRefused
from ..models import Case, Override, QAReview, Stage
from ..models.case import engine_moving_stage
from .guards import GuardContext, GuardResult, run
from .policy import PolicyDocument, TransitionDef, policy_document

_STAGE_TIMESTAMP = {
    Stage.INVESTIGATION: "investigation_at",
    Stage.RESPONSE: "response_at",
    Stage.QA: "qa_at",
    Stage.CLOSED: "closed_at",
}


@dataclass(frozen=True)
class TransitionOption:
    """One way out of the current stage, as this user sees it."""

    transition: TransitionDef
    role_allowed: bool
    guards: list[GuardResult]
    hard_rules: list[GuardResult]
    can_override: bool

    @property
    def id(self) -> str:
        return self.transition.id

    @property
    def ready(self) -> bool:
        return self.role_allowed and all(g.met for g in self.guards + self.hard_rules)

    @property
    def missing(self) -> list[GuardResult]:
        return [g for g in self.guards + self.hard_rules if not g.met]


def _options(case: Case, user: Any, policy: PolicyDocument, checklist: dict[str, bool]) -> list[TransitionOption]:
    roles = role_names(user)
    ctx = GuardContext(case=case, user=user, policy=policy, checklist=checklist)
    may_override = user.has_perm("cases.override_guards")
    options = []
    for t in policy.transitions_from(case.stage):
        hard = run(t.hard_rules, ctx)
        options.append(
            TransitionOption(
                transition=t,
                role_allowed=bool(roles & t.roles),
                guards=run(t.guards, ctx),
                hard_rules=hard,
                can_override=may_override and all(h.met for h in hard),
            )
        )
    return options


def available_transitions(case: Case, user: Any) -> list[TransitionOption]:
    """Every transition out of the case's stage, with each guard met or missing for this user."""
    permissions.ensure_can_view(user, case)
    return _options(case, user, policy_document(case.policy), {})


def evaluate(case: Case, transition_id: str, user: Any, *, checklist: dict[str, bool] | None = None) -> TransitionOption | None:
    policy = policy_document(case.policy)
    return next((o for o in _options(case, user, policy, checklist or {}) if o.id == transition_id), None)


def _start_of_today() -> datetime:
    local_now = timezone.localtime(clock.now())
    return timezone.make_aware(datetime.combine(local_now.date(), time.min), local_now.tzinfo)


def _choose(
    case: Case, to: str, via: str | None, user: Any, policy: PolicyDocument, checklist: dict[str, bool]
) -> TransitionOption:
    options = [o for o in _options(case, user, policy, checklist) if o.transition.to == to]
    if via:
        options = [o for o in options if o.id == via]
    if not options:
        raise TransitionRefused(
            "no_such_transition",
            _("The policy (version %(v)s) has no transition from %(from)s to %(to)s%(via)s.")
            % {
                "v": policy.number,
                "from": Stage(case.stage).label,
                "to": Stage(to).label if to in Stage.values else to,
                "via": f" ({via})" if via else "",
            },
            case_number=case.number,
            transition=via or "",
        )
    # Several ways lead to one stage (closed: by QA, as duplicate, as spam). Without `via` the
    # first one the policy lists is meant: an alternative such as spam is never picked silently.
    return options[0]


def transition(
    case: Case,
    to: str,
    *,
    by: Any,
    reason: str = "",
    via: str | None = None,
    fields: dict[str, Any] | None = None,
    checklist: dict[str, bool] | None = None,
    override: bool = False,
) -> Case:
    """Move ``case`` to stage ``to``; ``fields`` are set first, in the same transaction.

    Raises ``TransitionRefused`` (and changes nothing) when the move is not allowed.
    """
    reason = (reason or "").strip()
    checklist = {str(k): bool(v) for k, v in (checklist or {}).items()}
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("policy").get(pk=case.pk)
        permissions.ensure_can_view(by, locked)
        if fields:
            services.update_case(locked, by=by, fields=fields)
        policy = policy_document(locked.policy)
        option = _choose(locked, to, via, by, policy, checklist)
        t = option.transition
        refused: dict[str, Any] = {"case_number": locked.number, "transition": t.id}
        if not option.role_allowed:
            raise TransitionRefused(
                "role_not_allowed",
                _("Your role may not take the step “%(step)s”.") % {"step": t.label},
                **refused,
            )
        if t.requires_reason and len(reason) < policy.min_reason_length:
            raise TransitionRefused(
                "reason_required",
                _("“%(step)s” needs a written reason of at least %(n)s characters.")
                % {"step": t.label, "n": policy.min_reason_length},
                **refused,
            )
        failed_hard = [h for h in option.hard_rules if not h.met]
        if failed_hard:
            raise TransitionRefused(
                "hard_rule",
                _("Refused by a rule that nobody may override."),
                failed_guards=failed_hard,
                **refused,
            )
        failed = [g for g in option.guards if not g.met]
        if failed and not override:
            raise TransitionRefused(
                "guards_failed",
                _("The exit criteria of this stage are not met."),
                failed_guards=failed,
                **refused,
            )
        if failed:
            _check_override(by, reason, policy, failed, refused)

        before = locked.stage
        now = clock.now()
        with engine_moving_stage():
            locked.stage = t.to
            locked.stage_entered_at = now
            if t.to in _STAGE_TIMESTAMP:
                setattr(locked, _STAGE_TIMESTAMP[Stage(t.to)], now)
            if t.to == Stage.CLOSED:
                locked.close_reason = t.close_reason
            elif before == Stage.CLOSED:
                locked.close_reason = ""
                locked.closed_at = None
            if t.counts_as_recurrence:
                locked.reopen_count += 1
            locked.save()

        if "reviewer_independent" in t.hard_rules or "qa_checklist_signed" in t.guards:
            QAReview.objects.create(
                case=locked, reviewer=by, checklist=checklist, passed=(t.to == Stage.CLOSED),
                comment=reason, signed_at=now,
            )
        audit.record(
            "case.transition", actor=by, object_type="case", object_id=locked.pk,
            summary=f"{locked.number}: {before} → {t.to} ({t.id})",
            before={"stage": before}, after={"stage": t.to, "transition": t.id, "override": bool(failed)},
            reason=reason,
        )
        if failed:
            _record_override(locked, by, t, before, failed, reason, now)
        sla.stage_changed(locked, before=before, after=t.to, close_reason=locked.close_reason)
        indexing.refresh(locked)
    case.refresh_from_db()
    return case


def _check_override(by: Any, reason: str, policy: PolicyDocument, failed: list[GuardResult], refused: dict[str, Any]) -> None:
    if not by.has_perm("cases.override_guards"):
        raise TransitionRefused(
            "override_not_permitted",
            _("You do not hold the override permission."),
            failed_guards=failed,
            **refused,
        )
    if len(reason) < policy.min_reason_length:
        raise TransitionRefused(
            "override_reason_required",
            _("An override needs a written reason of at least %(n)s characters.")
            % {"n": policy.min_reason_length},
            failed_guards=failed,
            **refused,
        )
    used = Override.objects.filter(user=by, at__gte=_start_of_today()).count()
    if used >= policy.override_daily_limit:
        raise TransitionRefused(
            "override_limit_reached",
            _("You have used today's %(n)s overrides; ask another manager.")
            % {"n": policy.override_daily_limit},
            failed_guards=failed,
            **refused,
        )


def _record_override(case: Case, by: Any, t: TransitionDef, before: str, failed: list[GuardResult], reason: str, now: datetime) -> None:
    guard_ids = [g.id for g in failed]
    Override.objects.create(
        case=case, user=by, transition=t.id, from_stage=before, to_stage=t.to,
        failed_guards=guard_ids, reason=reason, at=now,
    )
    audit.record(
        "case.override", actor=by, object_type="case", object_id=case.pk,
        summary=f"{case.number}: override of {', '.join(guard_ids)} on {t.id}",
        before={"stage": before}, after={"stage": t.to, "failed_guards": guard_ids}, reason=reason,
    )
    alerts.notify(
        users_with_role("manager", "executive"),
        kind="case.override",
        verb=gettext_noop("%(actor)s forced case %(case)s past %(count)s unmet criteria: %(reason)s"),
        params={"actor": by.get_username(), "case": case.number, "count": len(guard_ids), "reason": reason[:200]},
        url=services.case_url(case),
    )
