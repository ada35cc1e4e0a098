"""Writing the SLA rules: the targets table and the company-wide SLA settings.

Responsible for: checking that the acting user may change them, validating every value
before anything is written (a refused change leaves the table as it was), refusing a second
target for the same case shape, one transaction and one audit event per change.

Must never: touch running clocks. A changed target or setting applies to clocks started
afterwards; a clock keeps the target it started with (``Clock.target_seconds``) until the
case itself changes (``services.recompute``). Nor import ``cases``: the channel, stage and
waiting values are copied below, and a test in ``web`` keeps them equal to the case model's.

``by=None`` means Tingjian itself (a migration, the demo): no permission is checked and the
audit event has no actor.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tingjian.audit import services as audit
from tingjian.org.models import Category, Department

from .models import ClockKind, SlaSettings, Target
from .schedule import sla_settings

TARGET_PERMISSION = "sla.change_target"
SETTINGS_PERMISSION = "sla.change_slasettings"

# The values of cases.models.ChannelKind, Stage and WaitingOn (sla may not import cases).
CHANNELS = ("phone", "walk_in", "email", "webform", "line", "wechat", "messenger", "instagram", "weibo", "api")
# The stages a case spends time in: a stage clock times one of them (closed has no clock).
STAGES = ("intake", "investigation", "response", "qa")
# Who a case may wait on; each may pause the resolution and stage clocks.
WAITING_ON = ("customer", "third_party")

TARGET_FIELDS = ("kind", "stage", "severity", "channel", "category", "minutes", "business_hours")
SETTINGS_FIELDS = (
    "reminder_percent", "pause_on", "safety_department", "safety_first_response_minutes",
    "team_lead_after_minutes", "department_head_after_minutes", "executive_after_minutes",
)
LADDER_FIELDS = ("team_lead_after_minutes", "department_head_after_minutes", "executive_after_minutes")
# A target longer than a year is a typing mistake (and would overflow the clock arithmetic).
MAX_MINUTES = 366 * 24 * 60


def ensure_may_change_targets(by: Any | None) -> None:
    if by is not None and not by.has_perm(TARGET_PERMISSION):
        raise PermissionDenied(_("You may not change SLA targets."))


def ensure_may_change_settings(by: Any | None) -> None:
    if by is not None and not by.has_perm(SETTINGS_PERMISSION):
        raise PermissionDenied(_("You may not change the SLA settings."))


# -------------------------------------------------------------------------------- targets


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _category(value: Any) -> Category | None:
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    number = _whole_number(value)
    found = Category.objects.select_related("parent").filter(pk=number).first() if number is not None else None
    if found is None:
        raise ValidationError({"category": _("No such category.")})
    return found


def _clean_target(values: dict[str, Any]) -> dict[str, Any]:
    """Every problem of a target at once, keyed by field; the cleaned values otherwise."""
    unknown = set(values) - set(TARGET_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown target fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    kind = str(values.get("kind") or "")
    if kind not in ClockKind.values:
        errors.setdefault("kind", []).append(_("Choose which clock this target is for."))
    clean["kind"] = kind

    stage = str(values.get("stage") or "")
    if kind == ClockKind.STAGE:
        if not stage:
            errors.setdefault("stage", []).append(_("A time-in-stage target needs a stage."))
        elif stage not in STAGES:
            errors.setdefault("stage", []).append(
                _("“%(value)s” is not a stage with a clock (intake, investigation, response or qa).") % {"value": stage}
            )
    elif stage:
        errors.setdefault("stage", []).append(_("Only a time-in-stage target has a stage."))
    clean["stage"] = stage if kind == ClockKind.STAGE else ""

    raw_severity = values.get("severity")
    severity = None if raw_severity in (None, "") else _whole_number(raw_severity)
    if raw_severity not in (None, "") and (severity is None or not 1 <= severity <= 4):
        errors.setdefault("severity", []).append(_("Severity is 1 to 4, or empty for any."))
    clean["severity"] = severity

    channel = str(values.get("channel") or "")
    if channel and channel not in CHANNELS:
        errors.setdefault("channel", []).append(_("“%(value)s” is not a channel.") % {"value": channel})
    clean["channel"] = channel

    try:
        category = _category(values.get("category"))
    except ValidationError as exc:
        errors.setdefault("category", []).extend(exc.message_dict["category"])
        category = None
    else:
        if category is not None and category.parent_id is None:
            errors.setdefault("category", []).append(
                _("Choose a category, not a category group: a case always has a category.")
            )
    clean["category"] = category

    minutes = _whole_number(values.get("minutes"))
    if minutes is None:
        errors.setdefault("minutes", []).append(_("Give the target in minutes."))
    elif minutes <= 0:
        errors.setdefault("minutes", []).append(_("A target must be longer than zero minutes."))
    elif minutes > MAX_MINUTES:
        errors.setdefault("minutes", []).append(_("A target may be at most one year."))
    clean["minutes"] = minutes

    clean["business_hours"] = bool(values.get("business_hours", False))
    if errors:
        raise ValidationError(errors)
    return clean


def _shape(clean: dict[str, Any]) -> dict[str, Any]:
    category = clean["category"]
    return {
        "kind": clean["kind"], "stage": clean["stage"], "severity": clean["severity"],
        "channel": clean["channel"], "category_id": category.pk if category else None,
    }


def _describe(target: Target) -> dict[str, Any]:
    return {
        "kind": target.kind, "stage": target.stage, "severity": target.severity,
        "channel": target.channel, "category": target.category.code if target.category_id and target.category else None,
        "minutes": target.minutes, "business_hours": target.business_hours,
    }


def _lock_rules() -> None:
    """Serialise changes to the SLA rules on the settings row, so two editors cannot both
    add the same target (the table has no unique key over nullable columns)."""
    sla_settings()
    SlaSettings.objects.select_for_update().filter(pk=1).first()


def save_target(*, by: Any | None, target: Target | None = None, **values: Any) -> Target:
    """Create a target, or change ``target``; applies to clocks started afterwards.

    Values: ``kind``, ``stage`` (time-in-stage targets only), ``severity`` (1–4 or None for
    any), ``channel`` (or "" for any), ``category`` (a leaf category, its id, or None),
    ``minutes`` (> 0), ``business_hours``. A target with the same kind, stage, severity,
    channel and category as another is refused.
    """
    ensure_may_change_targets(by)
    if target is not None:
        values = {**_describe_for_update(target), **values}
    clean = _clean_target(values)
    with transaction.atomic():
        _lock_rules()
        twins = Target.objects.filter(**_shape(clean))
        if target is not None:
            twins = twins.exclude(pk=target.pk)
        if twins.exists():
            raise ValidationError({NON_FIELD_ERRORS: [_(
                "There is already a target for this clock, stage, severity, channel and category; change that one instead."
            )]})
        # Change a fresh, locked copy: a refused change leaves the caller's object as it was.
        row = Target.objects.select_for_update(of=("self",)).select_related("category").get(pk=target.pk) if target else Target()
        before = _describe(row) if target is not None else None
        for name, value in clean.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
        after = _describe(row)
        if before != after:
            audit.record(
                "sla.target_created" if before is None else "sla.target_changed",
                actor=by, object_type="sla_target", object_id=row.pk,
                summary=f"SLA target {row}", before=before, after=after,
            )
    return row


def _describe_for_update(target: Target) -> dict[str, Any]:
    # A partial update keeps the other values; the category is passed as the object.
    return {
        "kind": target.kind, "stage": target.stage, "severity": target.severity,
        "channel": target.channel, "category": target.category, "minutes": target.minutes,
        "business_hours": target.business_hours,
    }


def delete_target(target: Target, *, by: Any | None) -> None:
    """Remove a target. Clocks that ran to it keep their time; new clocks of that shape
    follow the next most general target, or have no clock when none is left."""
    ensure_may_change_targets(by)
    with transaction.atomic():
        _lock_rules()
        before = _describe(target)
        target_id = target.pk
        summary = f"SLA target {target} deleted"
        target.delete()
        audit.record(
            "sla.target_deleted", actor=by, object_type="sla_target", object_id=target_id,
            summary=summary, before=before,
        )


# ------------------------------------------------------------------------------- settings


def _department(value: Any) -> Department | None:
    if value in (None, ""):
        return None
    if isinstance(value, Department):
        return value
    number = _whole_number(value)
    found = Department.objects.filter(pk=number).first() if number is not None else None
    if found is None:
        raise ValidationError({"safety_department": _("No such department.")})
    return found


def _clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown settings: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "reminder_percent" in values:
        percent = _whole_number(values["reminder_percent"])
        if percent is None or not 1 <= percent <= 99:
            # xgettext:no-python-format
            errors["reminder_percent"] = [_("The reminder comes at 1 to 99 % of the target.")]
        clean["reminder_percent"] = percent
    if "pause_on" in values:
        pause_on = list(dict.fromkeys(str(v) for v in (values["pause_on"] or [])))
        wrong = [v for v in pause_on if v not in WAITING_ON]
        if wrong:
            errors["pause_on"] = [_("Unknown values: %(values)s") % {"values": ", ".join(wrong)}]
        clean["pause_on"] = [v for v in WAITING_ON if v in pause_on]
    if "safety_department" in values:
        try:
            clean["safety_department"] = _department(values["safety_department"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name in ("safety_first_response_minutes", *LADDER_FIELDS):
        if name not in values:
            continue
        minutes = _whole_number(values[name])
        if minutes is None or minutes <= 0:
            errors[name] = [_("Give a number of minutes greater than zero.")]
        elif minutes > MAX_MINUTES:
            errors[name] = [_("At most one year.")]
        clean[name] = minutes
    if errors:
        raise ValidationError(errors)
    return clean


def _describe_settings(row: SlaSettings) -> dict[str, Any]:
    return {
        "reminder_percent": row.reminder_percent, "pause_on": list(row.pause_on or []),
        "safety_department": row.safety_department.code if row.safety_department_id and row.safety_department else None,
        "safety_first_response_minutes": row.safety_first_response_minutes,
        **{name: getattr(row, name) for name in LADDER_FIELDS},
    }


def update_settings(*, by: Any | None, **values: Any) -> SlaSettings:
    """Change the company-wide SLA settings (only the values given).

    ``reminder_percent`` 1–99, ``pause_on`` a list of ``customer`` / ``third_party``,
    ``safety_department`` (a department, its id or None), ``safety_first_response_minutes``
    and the three ladder delays, each > 0. Reminder and pause changes apply to clocks
    scheduled afterwards.
    """
    ensure_may_change_settings(by)
    with transaction.atomic():
        sla_settings()
        row = SlaSettings.objects.select_for_update(of=("self",)).select_related("safety_department").get(pk=1)
        clean = _clean_settings(values)
        before = _describe_settings(row)
        for name, value in clean.items():
            setattr(row, name, value)
        row.updated_by = by
        row.full_clean()
        after = _describe_settings(row)
        changed = [name for name in after if before[name] != after[name]]
        if changed:
            row.save()
            audit.record(
                "sla.settings_changed", actor=by, object_type="sla_settings", object_id=row.pk,
                summary=f"SLA settings changed: {', '.join(changed)}",
                before={name: before[name] for name in changed}, after={name: after[name] for name in changed},
            )
    return row
