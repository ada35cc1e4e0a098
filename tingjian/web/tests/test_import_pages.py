"""The call-log import pages: upload → columns → check (progress) → report → import → done."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tingjian.cases.models import Message
from tingjian.channels import calls, services
from tingjian.channels.models import CallImport, Channel, ImportStatus

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[2] / "channels" / "tests" / "calls"
# Session, user, the user's and the groups' permissions, count, the page of imports with
# their channel and uploader: fixed, whatever the number of imports.
LIST_QUERIES = 6


@pytest.fixture(autouse=True)
def _media_and_immediate_tasks(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def hotline(company: dict[str, Any]) -> Channel:
    return services.create_channel(kind="calllog", name="hotline", display_name="客服專線", by=None)


def csv_upload(name: str = "calls_bad_rows.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/csv")


def uploaded(client: Client, hotline: Channel, name: str = "calls_bad_rows.csv") -> CallImport:
    response = client.post(reverse("web:import-new"), {"channel": hotline.pk, "file": csv_upload(name)})
    assert response.status_code == 302, response.content.decode()
    call_import = CallImport.objects.latest("pk")
    assert response["Location"] == reverse("web:import-detail", args=[call_import.pk])
    return call_import


def post_mapping(client: Client, call_import: CallImport, capture: Any, **changes: str) -> Any:
    data = {name: call_import.mapping.get(name, "") for name in calls.FIELDS} | changes
    with capture(execute=True):  # the check task runs when the request's transaction commits
        return client.post(reverse("web:import-check", args=[call_import.pk]), data)


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select is not None
    option = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return option.group(1) if option else ""


def test_upload_then_columns_then_check_then_import(
    agent_client: Client, hotline: Channel, django_capture_on_commit_callbacks: Any,
) -> None:
    page = agent_client.get(reverse("web:import-new")).content.decode()
    assert 'enctype="multipart/form-data"' in page and "客服專線" in page

    call_import = uploaded(agent_client, hotline)
    page = agent_client.get(reverse("web:import-detail", args=[call_import.pk])).content.decode()
    assert "Which column holds what?" in page
    # The file's headers are the choices, pre-filled with the guess.
    assert selected(page, "call_id") == "Call ID" and selected(page, "summary") == "Summary"
    assert selected(page, "agent") == "" and '<option value="Customer">Customer</option>' in page
    assert "Nobody wrote the call id." in page  # the preview of the first rows

    response = post_mapping(agent_client, call_import, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page = agent_client.get(response["Location"]).content.decode()
    assert "Check result" in page
    assert "Import 2 calls" in page
    assert "7 bad rows, not imported" in page
    assert "Unknown branch code “nowhere”." in page and "Call ID is missing." in page
    assert not Message.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(reverse("web:import-run", args=[call_import.pk]))
    assert response.status_code == 302
    page = agent_client.get(response["Location"]).content.decode()
    assert "Import done" in page
    cases = [m.case for m in Message.objects.filter(channel="phone").select_related("case")]
    assert len(cases) == 2
    for case in cases:
        assert reverse("web:case-detail", args=[case.number]) in page


def test_a_changed_mapping_is_checked_again(agent_client: Client, hotline: Channel, django_capture_on_commit_callbacks: Any) -> None:
    call_import = uploaded(agent_client, hotline)
    post_mapping(agent_client, call_import, django_capture_on_commit_callbacks)
    page = agent_client.get(reverse("web:import-detail", args=[call_import.pk]), {"mapping": "1"}).content.decode()
    assert "Which column holds what?" in page
    post_mapping(agent_client, call_import, django_capture_on_commit_callbacks, branch="", email="", duration="", direction="")
    call_import.refresh_from_db()
    assert call_import.status == ImportStatus.CHECKED
    assert "branch" not in call_import.mapping
    # Rows 8 (the branch) and 9 (email, duration, direction) are good without those columns.
    assert (call_import.good_rows, len(call_import.bad_rows)) == (4, 5)


def test_a_mapping_without_a_required_column_is_shown_again_with_the_problem(
    agent_client: Client, hotline: Channel, django_capture_on_commit_callbacks: Any,
) -> None:
    call_import = uploaded(agent_client, hotline)
    response = post_mapping(agent_client, call_import, django_capture_on_commit_callbacks, summary="", agent="Summary", customer_name="Summary")
    assert response.status_code == 422
    page = response.content.decode()
    assert "This field is required." in page
    call_import.refresh_from_db()
    assert call_import.status == ImportStatus.UPLOADED


def test_the_progress_partial_polls_while_running_and_reloads_the_page_when_done(agent_client: Client, hotline: Channel, users: dict[str, Any]) -> None:
    call_import = calls.start_import(
        channel=hotline, name="calls.csv", content=(SAMPLES / "calls_big5.csv").read_bytes(), by=users["agent"],
    )
    CallImport.objects.filter(pk=call_import.pk).update(status=ImportStatus.CHECKING, total_rows=4, processed_rows=1)
    url = reverse("web:import-progress", args=[call_import.pk])
    page = agent_client.get(reverse("web:import-detail", args=[call_import.pk])).content.decode()
    assert f'hx-get="{url}"' in page and 'hx-trigger="every 1s"' in page
    partial = agent_client.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert 'role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="25"' in partial.content.decode()
    assert '<rect width="25%"' in partial.content.decode()
    assert "1 of 4 rows" in partial.content.decode()
    calls.check(call_import)
    done = agent_client.get(url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true"
    assert Client().get(url).status_code == 204  # logged out: nothing to swap


def test_an_upload_over_the_limit_or_not_a_spreadsheet_is_refused_on_the_form(
    agent_client: Client, hotline: Channel, settings: Any,
) -> None:
    old_excel = SimpleUploadedFile("calls.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    response = agent_client.post(reverse("web:import-new"), {"channel": hotline.pk, "file": old_excel})
    assert response.status_code == 422
    assert "Save it as .xlsx or CSV" in response.content.decode()
    settings.TINGJIAN_IMPORT_MAX_BYTES = 100
    response = agent_client.post(reverse("web:import-new"), {"channel": hotline.pk, "file": csv_upload()})
    assert response.status_code == 422
    assert "the limit is 100" in response.content.decode()
    assert not CallImport.objects.exists()


def test_without_a_call_centre_channel_the_upload_page_says_what_to_do(agent_client: Client, company: dict[str, Any]) -> None:
    page = agent_client.get(reverse("web:import-new")).content.decode()
    assert "tingjian channels add calllog" in page


def test_an_executive_cannot_import(client_for: Callable[[str], Client], hotline: Channel) -> None:
    executive = client_for("executive")
    assert executive.get(reverse("web:import-list")).status_code == 403
    assert executive.get(reverse("web:import-new")).status_code == 403
    response = executive.post(reverse("web:import-new"), {"channel": hotline.pk, "file": csv_upload()})
    assert response.status_code == 403
    assert not CallImport.objects.exists()
    assert reverse("web:import-list") not in executive.get(reverse("web:case-list")).content.decode()
    assert reverse("web:import-list") in client_for("agent").get(reverse("web:case-list")).content.decode()


def test_an_agent_cannot_open_or_run_another_agents_import(
    client_for: Callable[[str], Client], hotline: Channel, users: dict[str, Any],
) -> None:
    theirs = calls.check(calls.start_import(
        channel=hotline, name="calls.csv", content=(SAMPLES / "calls_big5.csv").read_bytes(), by=users["agent2"],
    ))
    agent = client_for("agent")
    assert agent.get(reverse("web:import-detail", args=[theirs.pk])).status_code == 404
    assert agent.post(reverse("web:import-run", args=[theirs.pk])).status_code == 404
    assert theirs.file_format == "csv" and not Message.objects.exists()
    manager = client_for("manager")
    assert "calls.csv" in manager.get(reverse("web:import-list")).content.decode()
    assert manager.get(reverse("web:import-detail", args=[theirs.pk])).status_code == 200


def test_the_imports_list_takes_a_fixed_number_of_queries(
    client_for: Callable[[str], Client], hotline: Channel, users: dict[str, Any], django_assert_num_queries: Any,
) -> None:
    manager = client_for("manager")
    content = (SAMPLES / "calls_big5.csv").read_bytes()
    calls.start_import(channel=hotline, name="one.csv", content=content, by=users["agent"])
    manager.get(reverse("web:import-list"))  # warm the session
    with django_assert_num_queries(LIST_QUERIES):
        page = manager.get(reverse("web:import-list")).content.decode()
    assert "one.csv" in page
    for n in range(5):
        calls.check(calls.start_import(channel=hotline, name=f"more-{n}.csv", content=content, by=users["agent2"]))
    with django_assert_num_queries(LIST_QUERIES):
        page = manager.get(reverse("web:import-list")).content.decode()
    assert "more-4.csv" in page


def test_the_import_pages_have_no_inline_script_or_style(
    agent_client: Client, hotline: Channel, django_capture_on_commit_callbacks: Any,
) -> None:
    call_import = uploaded(agent_client, hotline)
    urls = [reverse("web:import-list"), reverse("web:import-new"), reverse("web:import-detail", args=[call_import.pk])]
    post_mapping(agent_client, call_import, django_capture_on_commit_callbacks)
    urls.append(reverse("web:import-detail", args=[call_import.pk]))
    for url in urls:
        page = agent_client.get(url).content.decode()
        assert "<script>" not in page and 'style="' not in page
