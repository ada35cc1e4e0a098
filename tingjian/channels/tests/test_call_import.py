"""Call-centre log imports: read any file Excel writes, check every row, file each call once."""

from __future__ import annotations

import io
import json
from datetime import datetime, time
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from tingjian.alerts.models import Notification
from tingjian.cases.models import Case, Message
from tingjian.channels import calls, services
from tingjian.channels.adapters.base import IncomingEvent, MalformedPayload
from tingjian.channels.adapters.calllog import ADAPTER, parse_call_time, parse_duration
from tingjian.channels.models import CallImport, Channel, EventStatus, ImportStatus, InboundEvent
from tingjian.channels.tasks import check_call_import, run_call_import
from tingjian.customers.models import Customer, Identity

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "calls"
TAIPEI = ZoneInfo("Asia/Taipei")
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def hotline(company: dict[str, Any]) -> Channel:
    return services.create_channel(kind="calllog", name="hotline", display_name="客服專線", by=None)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def upload(channel: Channel, content: bytes, *, by: Any = None, name: str = "calls.csv") -> CallImport:
    return calls.start_import(channel=channel, name=name, content=content, by=by)


def checked(channel: Channel, content: bytes, *, by: Any = None, name: str = "calls.csv") -> CallImport:
    return calls.check(upload(channel, content, by=by, name=name))


def imported(channel: Channel, content: bytes, *, by: Any = None, name: str = "calls.csv") -> CallImport:
    return calls.run(checked(channel, content, by=by, name=name))


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def reasons(call_import: CallImport) -> dict[int, str]:
    return {item["row"]: calls.describe(item) for item in call_import.bad_rows}


# --- reading and mapping -------------------------------------------------------------------


def test_headers_are_recognised_in_traditional_and_simplified_chinese_and_english() -> None:
    assert calls.guess_mapping(["通話編號", "來電時間", "電話", "摘要", "客戶姓名"]) == {
        "call_id": "通話編號", "called_at": "來電時間", "phone": "電話", "summary": "摘要", "customer_name": "客戶姓名",
    }
    assert calls.guess_mapping(["通话编号", "来电时间", "电话", "通话摘要", "坐席"]) == {
        "call_id": "通话编号", "called_at": "来电时间", "phone": "电话", "summary": "通话摘要", "agent": "坐席",
    }
    assert calls.guess_mapping(["Call ID", "Call Time", "Caller Number", "Summary", "E-mail", "Duration (s)"]) == {
        "call_id": "Call ID", "called_at": "Call Time", "phone": "Caller Number", "summary": "Summary",
        "email": "E-mail", "duration": "Duration (s)",
    }


def test_a_header_holding_a_known_name_is_recognised_and_unknown_ones_are_left_alone() -> None:
    mapping = calls.guess_mapping(["客戶電話", "通話內容摘要", "流水號", "來電時間 (台北)"])
    assert mapping == {"called_at": "來電時間 (台北)", "phone": "客戶電話", "summary": "通話內容摘要"}


def test_an_exact_name_wins_over_a_name_inside_a_longer_header() -> None:
    mapping = calls.guess_mapping(["通話編號", "來電時間", "來電號碼", "客戶電話號碼", "通話摘要", "備註"])
    assert mapping["summary"] == "通話摘要" and mapping["phone"] == "來電號碼"
    assert calls.guess_mapping(["客戶電話號碼"]) == {"phone": "客戶電話號碼"}


def test_a_mapping_without_a_required_field_or_with_a_column_used_twice_is_refused() -> None:
    headers = ["A", "B", "C", "D"]
    with pytest.raises(ValidationError) as missing:
        calls.validate_mapping({"call_id": "A", "called_at": "B", "phone": "C"}, headers)
    assert set(missing.value.message_dict) == {"summary"}
    with pytest.raises(ValidationError) as twice:
        calls.validate_mapping({"call_id": "A", "called_at": "B", "phone": "C", "summary": "D", "agent": "D"}, headers)
    assert "already chosen" in twice.value.message_dict["agent"][0]


def test_big5_and_gb18030_files_from_excel_are_detected() -> None:
    big5 = calls.read_table(sample("calls_big5.csv"), "csv")
    assert big5.encoding == "Big5"
    assert big5.headers == ["通話編號", "來電時間", "電話", "客戶姓名", "摘要"]
    assert big5.rows[0][1][4] == "便當裡有頭髮，很噁心。"
    gb = calls.read_table(sample("calls_gb18030.csv"), "csv")
    assert (gb.encoding, gb.delimiter) == ("GB18030", ";")
    assert gb.rows[1][1][3] == "钱先生"


def test_a_tab_separated_utf16_export_is_read() -> None:
    text = "Call ID\tCall time\tPhone\tSummary\r\nT-1\t2026-11-20 10:00\t0912-000-001\tCold soup\r\n"
    table = calls.read_table(b"\xff\xfe" + text.encode("utf-16-le"), "csv")
    assert table.delimiter == "\t" and table.rows == [(2, ["T-1", "2026-11-20 10:00", "0912-000-001", "Cold soup"])]


def test_old_excel_files_and_empty_files_are_refused_in_plain_words(hotline: Channel) -> None:
    with pytest.raises(ValidationError, match=r"\.xls"):
        upload(hotline, b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(ValidationError, match="no header row"):
        upload(hotline, b"\r\n\r\n")
    with pytest.raises(ValidationError, match="no calls under it"):
        upload(hotline, "通話編號,來電時間,電話,摘要\n".encode())


def test_a_file_over_the_size_limit_is_refused(hotline: Channel, settings: Any) -> None:
    settings.TINGJIAN_IMPORT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        upload(hotline, sample("calls_utf8_bom.csv"))


def test_the_upload_guesses_the_mapping(hotline: Channel) -> None:
    call_import = upload(hotline, sample("calls_utf8_bom.csv"))
    assert call_import.file_format == "csv" and call_import.status == ImportStatus.UPLOADED
    assert call_import.mapping["call_id"] == "通話編號"
    assert call_import.mapping["phone"] == "來電號碼"
    assert set(call_import.mapping) == set(calls.FIELDS)


# --- the adapter ---------------------------------------------------------------------------


def test_call_times_without_an_offset_are_the_projects_local_time(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Taipei"
    assert parse_call_time("2026/11/20 下午 02:05:33") == datetime(2026, 11, 20, 14, 5, 33, tzinfo=TAIPEI)
    assert parse_call_time("2026-11-20T06:05:00+00:00") == datetime(2026, 11, 20, 14, 5, tzinfo=TAIPEI)
    assert parse_call_time(datetime(2026, 11, 20, 14, 5)) == datetime(2026, 11, 20, 14, 5, tzinfo=TAIPEI)
    with pytest.raises(ValueError):
        parse_call_time("20/11/2026 14:05")  # day-first or month-first: refused, not guessed
    assert [parse_duration(v) for v in ("205", "3:25", "3分25秒", "1:00:05", time(0, 3, 25))] == [205, 205, 205, 3605, 205]


def test_a_stored_row_becomes_a_phone_message_with_the_callers_number(settings: Any) -> None:
    settings.TIME_ZONE = "Asia/Taipei"
    row = {"call_id": "C-9", "called_at": "2026-11-20T14:05:00", "phone": "+886912345678", "summary": "湯是冷的",
           "customer_name": "王小明", "email": "ming@example.com", "agent": "陳美玲", "duration": 205,
           "direction": "in", "branch": "tpe-xinyi", "category": "", "product": "beef-noodles"}
    config = services.channel_config(Channel(kind="calllog", name="hotline"))
    (message,) = ADAPTER.parse(config, IncomingEvent(external_id="C-9", payload=json.dumps(row).encode()))
    assert message.external_id == "call:hotline:C-9" and message.channel == "phone"
    assert message.contact.kind == "phone" and message.contact.handle == "+886912345678"
    assert message.contact.display_name == "王小明" and message.contact.given == (("email", "ming@example.com"),)
    assert message.sent_at == datetime(2026, 11, 20, 14, 5, tzinfo=TAIPEI)
    assert message.text == "[Incoming call · agent 陳美玲 · duration 3:25]\n湯是冷的"
    assert message.subject == "湯是冷的"
    assert message.fields == {"branch": "tpe-xinyi", "product": "beef-noodles"}


def test_a_stored_row_without_a_summary_is_malformed() -> None:
    config = services.channel_config(Channel(kind="calllog", name="hotline"))
    payload = json.dumps({"call_id": "C-1", "called_at": "2026-11-20T14:05:00", "phone": "0912345678"}).encode()
    with pytest.raises(MalformedPayload):
        ADAPTER.parse(config, IncomingEvent(external_id="C-1", payload=payload))


# --- check and run -------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_reason(hotline: Channel) -> None:
    result = checked(hotline, sample("calls_bad_rows.csv"))
    assert result.status == ImportStatus.CHECKED
    assert (result.total_rows, result.good_rows, result.duplicate_rows) == (9, 2, 0)
    found = reasons(result)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9]
    assert found[3] == "Call ID is missing."
    assert "“yesterday afternoon” cannot be read" in found[4]
    assert found[5] == "Phone number “call me maybe” is not a valid phone number."
    assert found[6] == "Summary is empty."
    assert found[7] == "Call ID OK-1 appears again; it was first on row 2."
    assert found[8] == "Unknown branch code “nowhere”."
    # Every problem of a row at once, so the file is fixed in one go.
    assert "“not-an-email” is not a valid address" in found[9]
    assert "“ten minutes” cannot be read" in found[9]
    assert "“sideways” is neither incoming nor outgoing" in found[9]
    assert {item["call_id"] for item in result.bad_rows} >= {"BAD-3", "BAD-8"}


def test_a_call_in_the_future_and_a_category_group_are_bad_rows(hotline: Channel, company: dict[str, Any]) -> None:
    group = company["category"].parent.code
    content = (
        "通話編號,來電時間,電話,摘要,類別代碼\n"
        f"F-1,2099-01-01 10:00,0912-000-001,未來的電話,\n"
        f"F-2,2026-11-20 10:00,0912-000-002,類別寫成大類,{group}\n"
    ).encode()
    found = reasons(checked(hotline, content))
    assert found[2] == "Call time 2099-01-01 10:00 is in the future."
    assert found[3] == f"“{group}” is a group of categories; use one of its categories."


def test_the_dry_run_stores_nothing(hotline: Channel) -> None:
    before = (InboundEvent.objects.count(), Case.objects.count(), Customer.objects.count(), Identity.objects.count())
    result = checked(hotline, sample("calls_utf8_bom.csv"))
    assert (result.good_rows, len(result.bad_rows)) == (3, 0)
    assert (InboundEvent.objects.count(), Case.objects.count(), Customer.objects.count(), Identity.objects.count()) == before


def test_a_csv_is_imported_into_cases_with_its_codes_time_and_caller(hotline: Channel, users: dict[str, Any], company: dict[str, Any]) -> None:
    result = imported(hotline, sample("calls_utf8_bom.csv"), by=users["agent"])
    assert result.status == ImportStatus.DONE
    assert (result.imported_rows, result.duplicate_rows, result.bad_rows) == (3, 0, [])
    event = InboundEvent.objects.get(channel=hotline, external_id="C-1001")
    assert event.status == EventStatus.FILED and event.meta == {"import_id": result.pk, "row": 2}
    message = Message.objects.get(external_id="call:hotline:C-1001")
    assert message.channel == "phone"
    assert message.sent_at == datetime(2026, 11, 20, 14, 5, tzinfo=TAIPEI)
    assert message.body == "[Incoming call · agent 陳美玲 · duration 3:25]\n外送的牛肉麵送到時湯是冷的，麵也糊了。"
    case = message.case
    assert (case.branch, case.category, case.product) == (company["branch"], company["category"], company["product"])
    assert case.subject == "外送的牛肉麵送到時湯是冷的，麵也糊了。"
    assert case.customer.display_name == "王小明"
    assert set(case.customer.identities.values_list("kind", "external_id")) == {
        ("phone", "+886912345678"), ("email", "ming@example.com"),
    }
    # A summary written over two lines in the cell stays two lines.
    assert Message.objects.get(external_id="call:hotline:C-1002").body.endswith("門市店員態度不佳，\n結帳時不耐煩。")
    assert [c.pk for c in calls.imported_cases(result)] == [
        InboundEvent.objects.get(external_id=i).case_id for i in ("C-1001", "C-1002", "C-1003")
    ]
    assert Notification.objects.filter(recipient=users["agent"], kind="channel.calls_imported").count() == 1


def test_importing_the_same_file_twice_files_each_call_once(hotline: Channel) -> None:
    first = imported(hotline, sample("calls_utf8_bom.csv"))
    counts = (InboundEvent.objects.count(), Message.objects.count(), Case.objects.count())
    again = checked(hotline, sample("calls_utf8_bom.csv"))
    assert (again.good_rows, again.duplicate_rows) == (0, 3)
    second = calls.run(again)
    assert (first.imported_rows, second.imported_rows, second.duplicate_rows) == (3, 0, 3)
    assert (InboundEvent.objects.count(), Message.objects.count(), Case.objects.count()) == counts


def test_only_the_new_rows_of_a_longer_file_are_imported(hotline: Channel) -> None:
    imported(hotline, sample("calls_big5.csv"))
    longer = sample("calls_big5.csv") + "B-2003,2026/11/19 12:00,0922-000-333,許小姐,飲料少了一杯。\r\n".encode("cp950")
    result = imported(hotline, longer)
    assert (result.imported_rows, result.duplicate_rows) == (1, 2)
    assert Message.objects.get(external_id="call:hotline:B-2003").body.endswith("飲料少了一杯。")


def test_an_xlsx_with_date_cells_text_dates_and_numbers_is_imported(hotline: Channel) -> None:
    content = xlsx([
        ["Call ID", "Call time", "Phone", "Customer", "Duration", "Summary"],
        [5001, datetime(2026, 11, 20, 9, 30), 912345678, "陳先生", time(0, 2, 5), "Soup was cold"],
        ["5002", "2026/11/20 10:45", "0922-111-222", "", 95, "Rider was rude"],
        [None, None, None, None, None, None],
        [5003, "not a date", "0922-111-333", "", "", "Time cannot be read"],
    ])
    result = imported(hotline, content, name="calls.xlsx")
    assert result.file_format == "xlsx"
    assert (result.total_rows, result.imported_rows) == (3, 2)
    assert list(reasons(result)) == [5]  # the blank row 4 is skipped, the numbering is the sheet's
    first = Message.objects.get(external_id="call:hotline:5001")
    assert first.sent_at == datetime(2026, 11, 20, 9, 30, tzinfo=TAIPEI)
    assert first.body == "[Phone call · duration 2:05]\nSoup was cold"
    assert first.case.customer.identities.get(kind="phone").external_id == "+886912345678"
    assert Message.objects.get(external_id="call:hotline:5002").sent_at == datetime(2026, 11, 20, 10, 45, tzinfo=TAIPEI)


def test_progress_is_recorded_as_the_rows_go_and_reaches_100_percent(hotline: Channel) -> None:
    seen: list[tuple[int, int]] = []
    call_import = upload(hotline, sample("calls_bad_rows.csv"))
    result = calls.check(call_import, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 9) for n in range(1, 10)]
    assert (result.processed_rows, result.percent) == (9, 100)
    seen.clear()
    result = calls.run(result, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (9, 9) and result.percent == 100 and result.imported_rows == 2


def test_a_row_that_cannot_be_stored_does_not_stop_the_others(hotline: Channel) -> None:
    real_receive = services.receive

    def flaky(channel: Channel, accepted: Any, **kwargs: Any) -> Any:
        if accepted.events[0].external_id == "C-1002":
            raise RuntimeError("disk full")
        return real_receive(channel, accepted, **kwargs)

    with mock.patch.object(services, "receive", flaky):
        result = imported(hotline, sample("calls_utf8_bom.csv"))
    assert result.status == ImportStatus.DONE and result.imported_rows == 2
    assert reasons(result) == {3: "Could not be stored (RuntimeError)."}
    assert not InboundEvent.objects.filter(external_id="C-1002").exists()


def test_an_unexpected_error_fails_the_import_with_a_plain_message_and_stores_nothing(hotline: Channel) -> None:
    call_import = upload(hotline, sample("calls_utf8_bom.csv"))
    with mock.patch("tingjian.channels.calls.services.read_lookups", side_effect=RuntimeError("database went away")):
        result = calls.run(call_import)
    assert result.status == ImportStatus.FAILED
    assert result.error.startswith("Stopped by an unexpected error.")
    assert "database went away" not in result.error
    assert not InboundEvent.objects.exists()


def test_a_retried_import_task_finishes_the_file_without_filing_twice(hotline: Channel, users: dict[str, Any]) -> None:
    call_import = checked(hotline, sample("calls_utf8_bom.csv"), by=users["agent"])
    calls.request_run(call_import, by=users["agent"])
    assert calls.perform_run(call_import.pk).startswith("done: 3 imported")
    messages = Message.objects.count()
    CallImport.objects.filter(pk=call_import.pk).update(status=ImportStatus.IMPORTING)  # as if the worker died
    assert calls.perform_run(call_import.pk).startswith("done: 3 imported")
    assert Message.objects.count() == messages
    assert calls.perform_run(call_import.pk) == "not waiting to import (done)"


def test_the_check_and_the_import_run_as_tasks_by_id(
    hotline: Channel, users: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TASKS = IMMEDIATE
    call_import = upload(hotline, sample("calls_big5.csv"), by=users["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        calls.request_check(call_import, by=users["manager"])
    call_import.refresh_from_db()
    assert (call_import.status, call_import.good_rows) == (ImportStatus.CHECKED, 2)
    with django_capture_on_commit_callbacks(execute=True):
        calls.request_run(call_import, by=users["manager"])
    call_import.refresh_from_db()
    assert (call_import.status, call_import.imported_rows) == (ImportStatus.DONE, 2)
    assert check_call_import.call(call_import.pk) == "not waiting for a check (done)"
    assert run_call_import.call(0) == "no such import"


def test_an_unchecked_file_cannot_be_imported_from_the_web(hotline: Channel, users: dict[str, Any]) -> None:
    call_import = upload(hotline, sample("calls_big5.csv"), by=users["agent"])
    with pytest.raises(ValidationError, match="Check the file first"):
        calls.request_run(call_import, by=users["agent"])


# --- who may -------------------------------------------------------------------------------


def test_an_executive_may_not_import(hotline: Channel, users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        upload(hotline, sample("calls_big5.csv"), by=users["executive"])
    with pytest.raises(PermissionDenied):
        calls.visible_imports(users["executive"])


def test_agents_see_their_own_imports_and_managers_see_all(hotline: Channel, users: dict[str, Any]) -> None:
    mine = upload(hotline, sample("calls_big5.csv"), by=users["agent"])
    theirs = upload(hotline, sample("calls_big5.csv"), by=users["agent2"])
    assert list(calls.visible_imports(users["agent"])) == [mine]
    assert set(calls.visible_imports(users["manager"])) == {mine, theirs}
    with pytest.raises(CallImport.DoesNotExist):
        calls.get_import(theirs.pk, by=users["agent"])
    with pytest.raises(PermissionDenied):
        calls.request_check(theirs, by=users["agent"])


# --- the command ---------------------------------------------------------------------------


def run_command(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import", "calls", *args, stdout=out, stderr=err)
    except CommandError as exc:
        code = exc.returncode
        err.write(f"{exc}\n")
    return out.getvalue(), err.getvalue(), code


def test_the_command_prints_the_guessed_mapping_progress_and_every_bad_row(hotline: Channel) -> None:
    out, err, code = run_command(str(SAMPLES / "calls_bad_rows.csv"), "--channel", "hotline", "--dry-run")
    assert code == 1
    assert "call_id       ← Call ID  (guessed)" in out
    assert "not in the file: agent, product" in out
    assert "Dry run: nothing was stored." in out
    assert "9 row(s): 2 good, 0 already imported, 7 bad." in out
    assert "  row 3: Call ID is missing." in out
    assert "  row 8 (call BAD-7): Unknown branch code “nowhere”." in out
    assert "Checking [" in err and "100% 9/9" in err
    assert not InboundEvent.objects.exists()


def test_the_command_imports_once_and_exits_zero_when_every_row_is_good(hotline: Channel) -> None:
    path = str(SAMPLES / "calls_gb18030.csv")
    out, err, code = run_command(path, "--channel", "hotline")
    assert code == 0, err
    assert "Reading calls_gb18030.csv (CSV, GB18030, delimiter ';')." in out
    assert "2 row(s): 2 call(s) imported, 0 already imported, 0 bad." in out
    assert "Importing [" in err
    out, err, code = run_command(path, "--channel", "hotline")
    assert code == 0
    assert "2 row(s): 0 good, 2 already imported, 0 bad." in out
    assert Message.objects.filter(channel="phone").count() == 2


def test_the_command_takes_a_mapping_and_still_imports_the_good_rows_of_a_file_with_bad_ones(hotline: Channel) -> None:
    out, _err, code = run_command(
        str(SAMPLES / "calls_bad_rows.csv"), "--channel", "hotline", "--map", "customer_name=Email", "--map", "email=",
    )
    assert code == 1
    assert "customer_name ← Email  (given)" in out
    assert "2 call(s) imported" in out
    assert Message.objects.filter(external_id__in=["call:hotline:OK-1", "call:hotline:OK-9"]).count() == 2
    assert Customer.objects.filter(display_name="alice@example.com").exists()


def test_the_command_refuses_what_it_cannot_do_with_exit_code_2(hotline: Channel, users: dict[str, Any]) -> None:
    path = str(SAMPLES / "calls_big5.csv")
    assert run_command(path, "--channel", "nowhere")[2] == 2
    assert run_command(path, "--channel", "hotline", "--as", "executive")[2] == 2
    assert run_command(path, "--channel", "hotline", "--map", "call_id=")[2] == 2
    assert run_command(path, "--channel", "hotline", "--map", "colour=摘要")[2] == 2
    assert run_command(str(SAMPLES / "missing.csv"), "--channel", "hotline")[2] == 2
    assert not InboundEvent.objects.exists()
    _out, _err, code = run_command(path, "--channel", "hotline", "--as", "manager")
    assert code == 0 and CallImport.objects.filter(uploaded_by=users["manager"], status=ImportStatus.DONE).exists()
