"""Reply templates: their variables are checked at save, filled per reader, and every use is
counted."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tingjian.audit.models import AuditEvent
from tingjian.knowledge import services, variables
from tingjian.knowledge.models import ReplyTemplate, TemplateUse

from .factories import make_template

pytestmark = pytest.mark.django_db

VALUES = {"customer_name": "王小明", "case_number": "C-2026-000042", "branch": "信義店"}


def test_an_unknown_variable_is_refused_with_its_name(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        make_template(users["manager"], body_zh="{custmer_name} 您好", body_en="")
    (message,) = refused.value.message_dict["body_zh"]
    assert "{custmer_name}" in message
    assert "{customer_name}" in message  # and what it may say instead
    assert not ReplyTemplate.objects.exists()


def test_an_unbalanced_brace_is_refused(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        make_template(users["manager"], body_zh="", body_en="Dear {customer_name, thanks")
    assert "“{”" in refused.value.message_dict["body_en"][0]
    assert variables.problems("Case case_number}") and not variables.problems("Case {case_number}")


def test_a_template_needs_a_text_in_one_language(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        make_template(users["manager"], body_zh="  ", body_en="")
    assert "Chinese, in English, or in both" in " ".join(refused.value.messages)


def test_render_fills_the_variables_in_the_readers_script(users: dict[str, Any]) -> None:
    template = make_template(users["manager"], body_zh="{customer_name} 您好，您的發票已重新開立。")
    values = {**VALUES, "customer_name": "張偉"}
    assert services.render_template(template, values, "zh-hant") == "張偉 您好，您的發票已重新開立。"
    # The template is converted, the customer's name is not: it is written as they write it.
    assert services.render_template(template, values, "zh-hans") == "張偉 您好，您的发票已重新开立。"


def test_a_missing_value_stays_visible_for_the_agent_to_fill(users: dict[str, Any]) -> None:
    template = make_template(users["manager"])
    text = services.render_template(template, {**VALUES, "branch": "  "}, "en")
    assert text == "Dear 王小明, about case C-2026-000042: 【branch】 is on it. We are sorry."


def test_render_falls_back_to_the_other_language(users: dict[str, Any]) -> None:
    template = make_template(users["manager"], body_en="")
    assert services.render_template(template, VALUES, "en").startswith("王小明 您好，關於案件 C-2026-000042")


def test_a_value_with_braces_is_inserted_as_written(users: dict[str, Any]) -> None:
    template = make_template(users["manager"])
    text = services.render_template(template, {**VALUES, "customer_name": "{case_number}"}, "en")
    assert text.startswith("Dear {case_number}, about case C-2026-000042")


def test_each_use_is_counted_and_recorded(users: dict[str, Any]) -> None:
    template = make_template(users["manager"])
    services.record_use(template, by=users["agent"], case_ref="C-2026-000042", language="zh-hant")
    services.record_use(template, by=users["agent2"], case_ref="C-2026-000043")
    template.refresh_from_db()
    assert template.use_count == 2 and template.last_used_at is not None
    uses = list(TemplateUse.objects.order_by("id").values_list("user__username", "case_ref", "language"))
    assert uses == [("agent", "C-2026-000042", "zh-hant"), ("agent2", "C-2026-000043", "")]


def test_a_deactivated_template_is_not_used_and_not_counted(users: dict[str, Any]) -> None:
    template = make_template(users["manager"])
    services.deactivate_template(template, by=users["admin"])
    with pytest.raises(ValidationError):
        services.record_use(template, by=users["agent"], case_ref="C-1")
    template.refresh_from_db()
    assert (template.use_count, TemplateUse.objects.count()) == (0, 0)
    assert AuditEvent.objects.filter(action="knowledge.template_deactivated", object_id=str(template.pk)).exists()


@pytest.mark.parametrize("role", ["agent", "staff", "qa", "executive"])
def test_only_managers_and_administrators_write_templates(users: dict[str, Any], role: str) -> None:
    with pytest.raises(PermissionDenied):
        make_template(users[role])
    template = make_template(users["manager"])
    with pytest.raises(PermissionDenied):
        services.update_template(template, by=users[role], name="changed")
    with pytest.raises(PermissionDenied):
        services.deactivate_template(template, by=users[role])
    template.refresh_from_db()
    assert (template.name, template.is_active) == ("道歉與跟進", True)


def test_an_update_is_audited_with_the_fields_changed(users: dict[str, Any]) -> None:
    template = make_template(users["manager"])
    services.update_template(template, by=users["admin"], name="Apology", body_en="Sorry, {customer_name}.")
    event = AuditEvent.objects.get(action="knowledge.template_updated")
    assert event.before == {"fields": ["body_en", "name"]}
    assert event.actor_id == users["admin"].pk
    # Saving what is already there writes nothing.
    services.update_template(template, by=users["admin"], name="Apology")
    assert AuditEvent.objects.filter(action="knowledge.template_updated").count() == 1
