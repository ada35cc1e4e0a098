"""Personal safety on a case: flagged from the customer's words, kept at S1, lowered only by a
manager with a reason (issue 4's safety lane; the SLA side is ``sla.services.safety_flagged``).

Responsible for: the rules ``cases.services`` applies when a message arrives or a field
changes, and an agent's request that a manager remove the flag. Must never: move a stage,
or lower a safety case without ``cases.approve_safety_downgrade`` and a written reason.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tingjian.alerts import services as alerts
from tingjian.audit import services as audit
from tingjian.org.selectors import users_with_role
from tingjian.org.services import system_user
from tingjian.textintel.safety import classify_safety

from . import permissions
from .models import Case, Severity


def _url(case: Case) -> str:
    return reverse("web:case-detail", args=[case.number])


def apply_safety_rule(case: Case, values: dict[str, Any]) -> None:
    """Personal safety is S1: flagging safety raises severity; S1 cannot be lowered under it.

    Flagging safety in the same change as a lower severity still gives S1: the safety flag
    is the stronger signal, and erring towards urgency is the safe mistake.
    """
    if case.safety:
        lowering = "severity" in values and values["severity"] not in (None, Severity.S1)
        if lowering and values.get("safety") is not True:
            raise ValidationError(
                {"severity": _("A personal-safety case is S1; remove the safety flag first.")}
            )
        case.severity = Severity.S1


def downgrades_safety(case: Case, values: dict[str, Any]) -> bool:
    unflags = case.safety and values.get("safety") is False
    lowers = (
        case.severity == Severity.S1 and "severity" in values and values["severity"] != Severity.S1
        and values.get("safety") is not True
    )
    return bool(unflags or lowers)


def min_reason_length(case: Case) -> int:
    from .workflow.policy import policy_document

    return policy_document(case.policy).min_reason_length


def tell_safety_downgraded(case: Case, by: Any, reason: str) -> None:
    alerts.notify(
        users_with_role("manager", "executive"), kind="sla.safety_downgrade",
        verb=gettext_noop("%(actor)s removed the personal-safety flag of case %(case)s: %(reason)s"),
        params={"actor": by.get_username(), "case": case.number, "reason": reason[:200]},
        url=_url(case),
    )


def request_safety_downgrade(case: Case, *, by: Any, reason: str) -> None:
    """Ask the managers to remove the safety flag (an agent may not): audited, they are told."""
    permissions.ensure_can_view(by, case)
    permissions.ensure_perm(by, "cases.change_case", _("You may not change cases."))
    if not case.safety and case.severity != Severity.S1:
        raise ValidationError(_("This case is not S1; there is nothing to lower."))
    reason = (reason or "").strip()
    minimum = min_reason_length(case)
    if len(reason) < minimum:
        raise ValidationError({"reason": _("Write why (at least %(n)s characters).") % {"n": minimum}})
    with transaction.atomic():
        audit.record(
            "case.safety_downgrade_requested", actor=by, object_type="case", object_id=case.pk,
            summary=f"{case.number}: removing the safety flag requested", reason=reason,
        )
        alerts.notify(
            users_with_role("manager"), kind="sla.safety_downgrade",
            verb=gettext_noop("%(actor)s asks you to approve removing the personal-safety flag of case %(case)s: %(reason)s"),
            params={"actor": by.get_username(), "case": case.number, "reason": reason[:200]},
            url=_url(case), requires_ack=True, topic=f"case.safety_downgrade:{case.pk}",
        )


def flag_from_text(case: Case, body: str) -> list[str]:
    """Flag the case as personal safety when the customer's words say so (recall first).

    Returns the evidence when this message flagged it; an agent's later decision to remove
    the flag is not undone by the next message unless that one matches again.
    """
    if case.safety:
        return []
    prediction = classify_safety(body)
    if prediction.label != "safety":
        return []
    before = {"safety": case.safety, "severity": case.severity}
    case.safety = True
    case.severity = Severity.S1
    case.save(update_fields=["safety", "severity", "updated_at"])
    evidence = list(prediction.evidence)
    case._safety_evidence = evidence  # type: ignore[attr-defined]
    audit.record(
        "case.changed", actor=system_user(), object_type="case", object_id=case.pk,
        summary=f"{case.number}: flagged personal safety from the customer's words",
        before=before, after={"safety": True, "severity": Severity.S1},
        reason=f"safety classifier ({prediction.confidence:.2f}): {'、'.join(evidence)}"[:500],
    )
    return evidence
