"""Roles are Django groups; what each role may do is a set of permissions, kept here.

The service policy names roles by these identifiers (``agent``, ``qa``…), and the workflow
engine checks them on the server; templates only mirror what the services allow.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    AGENT = "agent"
    STAFF = "staff"
    QA = "qa"
    MANAGER = "manager"
    EXECUTIVE = "executive"
    # Public relations: watches the crisis radar and the public, unanswered posts.
    PR = "pr"
    ADMIN = "admin"
    # Tingjian itself, acting on what arrives from channels (files messages, reopens a case
    # when its customer writes again). One service account holds it; it cannot log in.
    SYSTEM = "system"


ROLE_LABELS = {
    Role.AGENT: _("Agent"),
    Role.STAFF: _("Department staff"),
    Role.QA: _("QA reviewer"),
    Role.MANAGER: _("Manager"),
    Role.EXECUTIVE: _("Executive"),
    Role.PR: _("Public relations"),
    Role.ADMIN: _("Administrator"),
    Role.SYSTEM: _("Tingjian (automatic)"),
}

# app_label.codename for every permission a role grants.
ROLE_PERMISSIONS: dict[Role, set[str]] = {
    Role.AGENT: {
        "cases.view_case", "cases.add_case", "cases.change_case", "cases.add_message",
        "cases.add_note", "customers.view_customer", "customers.add_customer",
        "customers.change_customer", "sla.view_clock",
        "radar.view_radar",
    },
    Role.STAFF: {
        "cases.view_case", "cases.change_case", "cases.add_note", "cases.add_message",
        "customers.view_customer", "sla.view_clock",
    },
    Role.QA: {
        "cases.view_case", "cases.view_all_cases", "cases.add_note", "cases.qa_review",
        "customers.view_customer", "sla.view_clock",
        "insights.view_insights", "surveys.view_surveyanswer", "surveys.change_followup",
    },
    Role.MANAGER: {
        "cases.view_case", "cases.view_all_cases", "cases.add_case", "cases.change_case",
        "cases.add_message", "cases.add_note", "cases.approve_compensation",
        "cases.override_guards", "cases.close_as_spam", "customers.view_customer",
        "customers.add_customer", "customers.change_customer", "cases.approve_safety_downgrade",
        "sla.view_clock", "knowledge.change_article", "knowledge.change_replytemplate",
        "insights.view_insights", "insights.manage_targets", "insights.change_denominator", "insights.publish_rates", "insights.dispute_rate", "radar.view_radar", "radar.receive_crisis_alerts", "surveys.view_surveyanswer", "surveys.change_followup", "reports.view_report", "reports.change_schedule",
    },
    Role.EXECUTIVE: {
        "cases.view_case", "cases.view_all_cases", "cases.add_note", "customers.view_customer",
        "sla.view_clock",
        "insights.view_insights", "insights.publish_rates", "radar.view_radar", "radar.receive_crisis_alerts", "surveys.view_surveyanswer", "reports.view_report", "reports.change_schedule",
    },
    Role.PR: {
        "cases.view_case", "cases.view_all_cases", "cases.add_note", "customers.view_customer",
        "sla.view_clock", "insights.view_insights", "radar.view_radar", "radar.receive_crisis_alerts",
    },
    Role.ADMIN: {
        "cases.view_case", "cases.view_all_cases", "cases.add_case", "cases.change_case",
        "cases.add_message", "cases.add_note", "cases.override_guards", "cases.close_as_spam",
        "cases.manage_policy", "customers.view_customer", "customers.add_customer",
        "customers.change_customer", "org.view_department", "org.change_department",
        "audit.view_auditevent", "channels.manage_channels", "alerts.manage_webhooks",
        "sla.change_businesscalendar", "sla.view_businesscalendar", "sla.change_target",
        "sla.view_target", "sla.change_slasettings", "sla.view_clock",
        "knowledge.change_article", "knowledge.change_replytemplate", "textintel.change_domainword",
        "insights.view_insights", "insights.manage_targets", "insights.change_denominator", "insights.publish_rates", "radar.view_radar", "surveys.view_surveyanswer", "reports.view_report", "reports.change_schedule",
    },
    Role.SYSTEM: {
        "cases.view_case", "cases.view_all_cases", "cases.add_case", "cases.change_case",
        "cases.add_message", "cases.add_note", "customers.view_customer", "customers.add_customer",
        "customers.change_customer",
    },
}


def role_names(user: Any) -> set[str]:
    """The user's roles, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_tingjian_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & {r.value for r in Role}
        user._tingjian_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(role_names(user) & set(roles))
