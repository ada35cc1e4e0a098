"""The public complaint form and its status page: what a customer sends, sees and never sees."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tingjian import clock
from tingjian.cases import services as case_services
from tingjian.cases.models import Attachment, Case, DeliveryStatus, Stage
from tingjian.cases.workflow import transition
from tingjian.channels import outbound, pipeline
from tingjian.channels.models import Channel, EventStatus, InboundEvent
from tingjian.channels.services import create_channel
from tingjian.org.tests.factories import BranchFactory, make_user

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def form_channel(company: dict[str, Any]) -> Channel:
    return create_channel(kind="webform", name="lotus", display_name="蓮記麵館", by=None)


def _form_url(channel: Channel, lang: str = "") -> str:
    url = reverse("public-complaint", args=[channel.name])
    return f"{url}?lang={lang}" if lang else url


def _answers(**overrides: Any) -> dict[str, Any]:
    answers = {
        "name": "林小姐", "phone": "0912-000-111", "email": "lin@example.com", "branch": "tpe-xinyi",
        "subject": "湯是冷的", "text": "今天中午在信義店點的牛肉麵，湯送來時是冷的。",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def _submit(client: Client, channel: Channel, lang: str = "", **overrides: Any) -> Any:
    return client.post(_form_url(channel, lang), _answers(**overrides))


def _stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _current_step(page: str) -> str:
    found = re.search(r'aria-current="step">.*?pub-step-label">([^<]+)<', page, re.DOTALL)
    return found.group(1) if found else ""


def _status_page_target(case: Case) -> str:
    return next(t.key for t in outbound.reply_targets(case) if t.key.startswith("webform:"))


def _filed(event: InboundEvent) -> InboundEvent:
    assert pipeline.ingest(event.pk).startswith(("opened", "threaded"))
    event.refresh_from_db()
    return event


# --- a complaint, start to finish -------------------------------------------------------------


def test_a_complaint_is_stored_once_and_its_status_page_shows_the_case_number_once_filed(
    client: Client, form_channel: Channel, company: dict[str, Any]
) -> None:
    response = _submit(client, form_channel)
    assert response.status_code == 302
    event = InboundEvent.objects.get()
    assert response["Location"].startswith(reverse("public-complaint-status", args=["lotus", event.public_token]))

    waiting = client.get(response["Location"]).content.decode()
    assert event.external_id in waiting  # the reference, at once
    assert "hx-trigger" in waiting  # checks again by itself until the worker files it

    event = _filed(event)
    page = client.get(response["Location"]).content.decode()
    case = Case.objects.get()
    assert case.number in page
    assert "hx-trigger" not in page  # filed: no more polling
    assert case.origin_channel == "webform" and case.branch == company["branch"]
    handles = set(case.customer.identities.values_list("kind", "external_id"))
    assert {("email", "lin@example.com"), ("phone", "+886912000111")} <= handles


def test_the_polling_request_gets_the_status_panel_alone(client: Client, form_channel: Channel) -> None:
    location = _submit(client, form_channel)["Location"]
    _filed(InboundEvent.objects.get())
    panel = client.get(location, headers={"HX-Request": "true"}).content.decode()
    assert Case.objects.get().number in panel
    assert "<html" not in panel


def test_a_photo_reaches_the_case(client: Client, form_channel: Channel) -> None:
    photo = SimpleUploadedFile("湯.jpg", JPEG, content_type="application/octet-stream")
    response = client.post(_form_url(form_channel), {**_answers(), "attachments": [photo]})
    assert response.status_code == 302
    _filed(InboundEvent.objects.get())
    attachment = Attachment.objects.get()
    assert attachment.filename == "湯.jpg"
    assert attachment.content_type == "image/jpeg"  # what the bytes are, not what the browser said
    with attachment.file.open("rb") as handle:
        assert handle.read() == JPEG


@pytest.mark.parametrize(("lang", "text"), [
    ("zh-hant", "店員態度很差，還把找錯的零錢丟在桌上。"),
    ("zh-hans", "店员态度很差，还把找错的零钱丢在桌上。"),
    ("en", "店員態度很差 — the cashier threw my change on the table."),
])
def test_chinese_text_arrives_intact_whichever_language_the_page_is_in(
    client: Client, form_channel: Channel, lang: str, text: str
) -> None:
    page = client.get(_form_url(form_channel, lang)).content.decode()
    assert f'<html lang="{lang}">' in page
    assert "蓮記麵館" in page
    response = _submit(client, form_channel, lang=lang, name="陳先生", subject="", text=text)
    assert response.status_code == 302
    event = _filed(InboundEvent.objects.get())
    assert event.message is not None and event.message.body == text
    case = Case.objects.get()
    assert case.customer.display_name == "陳先生"
    assert case.customer.language == lang  # replies are written in the language they chose
    assert f'<html lang="{lang}">' in client.get(response["Location"]).content.decode()


def test_the_chosen_language_is_remembered_across_pages(client: Client, form_channel: Channel) -> None:
    client.get(_form_url(form_channel, "zh-hans"))
    assert '<html lang="zh-hans">' in client.get(_form_url(form_channel)).content.decode()


def test_the_brand_can_set_its_own_words_and_default_language(client: Client, company: dict[str, Any]) -> None:
    create_channel(
        kind="webform", name="plum", display_name="梅花茶坊", by=None,
        values={"language": "zh-hans", "intro_zh_hans": "感谢您告诉我们。", "intro_en": "Thank you for telling us."},
    )
    page = client.get("/complain/plum/").content.decode()
    assert '<html lang="zh-hans">' in page and "感谢您告诉我们。" in page
    assert "Thank you for telling us." in client.get("/complain/plum/?lang=en").content.decode()


# --- what is refused, and that nothing is kept then -------------------------------------------


def test_a_filled_honeypot_is_thanked_and_nothing_is_kept(
    client: Client, form_channel: Channel, _uploads_in_tmp: Path
) -> None:
    photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    response = client.post(_form_url(form_channel), {**_answers(), "leave_blank": "http://spam.example", "attachments": [photo]})
    assert response.status_code == 200
    assert InboundEvent.objects.count() == 0
    assert _stored_files(_uploads_in_tmp) == []


def test_the_sixth_submission_in_an_hour_from_one_address_is_refused(
    client: Client, form_channel: Channel
) -> None:
    for n in range(5):
        assert _submit(client, form_channel, text=f"第 {n + 1} 則").status_code == 302
    response = _submit(client, form_channel, text="第六則")
    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert InboundEvent.objects.count() == 5
    # Someone else, elsewhere, is not held back.
    assert Client(REMOTE_ADDR="203.0.113.9").post(_form_url(form_channel), _answers()).status_code == 302
    # And an hour later the first address may write again.
    with time_machine.travel(clock.now() + timedelta(hours=1, minutes=1), tick=False):
        assert _submit(client, form_channel, text="一小時後").status_code == 302
    assert InboundEvent.objects.count() == 7


def test_the_rate_limit_is_set_per_brand(client: Client, company: dict[str, Any]) -> None:
    channel = create_channel(kind="webform", name="plum", display_name="梅花茶坊", by=None, values={"rate_limit_per_hour": "2"})
    assert [_submit(client, channel).status_code for _n in range(3)] == [302, 302, 429]


def test_a_program_renamed_jpg_is_refused(client: Client, form_channel: Channel, _uploads_in_tmp: Path) -> None:
    disguised = SimpleUploadedFile("receipt.jpg", WINDOWS_PROGRAM, content_type="image/jpeg")
    response = client.post(_form_url(form_channel), {**_answers(), "attachments": [disguised]})
    assert response.status_code == 422
    page = response.content.decode()
    assert "“receipt.jpg” is not a photo or a PDF" in page
    assert "choose them again" in page
    assert InboundEvent.objects.count() == 0
    assert _stored_files(_uploads_in_tmp) == []


def test_an_oversized_file_is_refused(
    client: Client, form_channel: Channel, settings: Any, _uploads_in_tmp: Path
) -> None:
    settings.TINGJIAN_ATTACHMENT_MAX_BYTES = 100
    big = SimpleUploadedFile("big.jpg", JPEG, content_type="image/jpeg")
    response = client.post(_form_url(form_channel), {**_answers(), "attachments": [big]})
    assert response.status_code == 422
    assert "“big.jpg” is" in response.content.decode() and "at most 100" in response.content.decode()
    assert InboundEvent.objects.count() == 0
    assert _stored_files(_uploads_in_tmp) == []


def test_more_than_five_files_are_refused(client: Client, form_channel: Channel) -> None:
    photos = [SimpleUploadedFile(f"{n}.jpg", JPEG, content_type="image/jpeg") for n in range(6)]
    response = client.post(_form_url(form_channel), {**_answers(), "attachments": photos})
    assert response.status_code == 422
    assert "up to 5 files" in response.content.decode()
    assert InboundEvent.objects.count() == 0


@pytest.mark.parametrize(("filename", "head", "content_type"), [
    ("IMG_0001.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
    ("receipt.pdf", b"%PDF-1.7\n", "application/pdf"),
    ("screen.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
    ("photo.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00", "image/gif"),
])
def test_phone_photos_screenshots_and_pdfs_are_accepted_by_their_content(
    client: Client, form_channel: Channel, filename: str, head: bytes, content_type: str
) -> None:
    upload = SimpleUploadedFile(filename, head + b"\x00" * 64, content_type="application/octet-stream")
    assert client.post(_form_url(form_channel), {**_answers(), "attachments": [upload]}).status_code == 302
    _filed(InboundEvent.objects.get())
    assert Attachment.objects.get().content_type == content_type


def test_a_complaint_without_phone_or_email_is_refused(client: Client, form_channel: Channel) -> None:
    response = _submit(client, form_channel, phone="", email="")
    assert response.status_code == 422
    page = response.content.decode()
    assert page.count("Give us a phone number or an email address") == 1
    assert "今天中午在信義店點的牛肉麵" in page  # what they wrote is still there
    assert InboundEvent.objects.count() == 0


def test_either_phone_or_email_alone_is_enough(client: Client, form_channel: Channel) -> None:
    assert _submit(client, form_channel, email="").status_code == 302
    assert Client(REMOTE_ADDR="203.0.113.9").post(_form_url(form_channel), _answers(phone="")).status_code == 302
    kinds = set()
    for event in InboundEvent.objects.all():
        kinds.add(_filed(event).case.customer.identities.get().kind)  # type: ignore[union-attr]
    assert kinds == {"phone", "email"}


def test_a_phone_number_that_is_not_one_is_refused(client: Client, form_channel: Channel) -> None:
    response = _submit(client, form_channel, phone="call me", email="")
    assert response.status_code == 422
    assert InboundEvent.objects.count() == 0


def test_the_form_needs_its_csrf_token(form_channel: Channel) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_form_url(form_channel), _answers()).status_code == 403
    assert InboundEvent.objects.count() == 0


def test_an_inactive_branch_is_not_offered(client: Client, form_channel: Channel) -> None:
    BranchFactory(code="closed-shop", is_active=False)
    page = client.get(_form_url(form_channel)).content.decode()
    assert 'value="tpe-xinyi"' in page and "closed-shop" not in page
    assert _submit(client, form_channel, branch="closed-shop").status_code == 422


# --- the status page: the submitter's, and nobody else's -------------------------------------


def test_an_unknown_status_link_is_a_404(client: Client, form_channel: Channel) -> None:
    assert client.get(reverse("public-complaint-status", args=["lotus", "not-a-real-token-abcdefgh"])).status_code == 404
    # A real token under another brand's address is unknown there too.
    create_channel(kind="webform", name="plum", display_name="梅花茶坊", by=None)
    _submit(client, form_channel)
    token = InboundEvent.objects.get().public_token
    assert client.get(reverse("public-complaint-status", args=["plum", token])).status_code == 404
    assert client.get(reverse("public-complaint-status", args=["lotus", token])).status_code == 200


def test_an_unknown_or_inactive_form_is_a_404(client: Client, form_channel: Channel) -> None:
    assert client.get("/complain/nobody/").status_code == 404
    Channel.objects.filter(pk=form_channel.pk).update(is_active=False)
    assert client.get(_form_url(form_channel)).status_code == 404


def test_the_status_page_shows_our_replies_and_never_notes_or_anything_internal(
    client: Client, form_channel: Channel, users: dict[str, Any]
) -> None:
    location = _submit(client, form_channel)["Location"]
    event = _filed(InboundEvent.objects.get())
    case = Case.objects.get()
    colleague = make_user("chen_meiling", "agent")
    agent = users["agent"]
    case_services.add_note(case, body="內部備註：這位顧客上個月也投訴過同一家店", by=agent)
    case_services.update_case(case, by=agent, fields={"assignee": colleague})
    case_services.record_reply(
        case, body="您好，我們已收到您的意見，專人會儘快回覆您。", by=agent, channel="webform",
        automatic=True, delivery_status=DeliveryStatus.SENT,
    )
    reply = outbound.send_reply(case, body="您好，我們已向信義店查證，將退還餐費。", by=agent, target=_status_page_target(case))
    assert outbound.deliver(reply.delivery.pk) == "sent (status_page)"
    case_services.record_reply(case, body="電子郵件中已向顧客說明", by=agent, channel="email", delivery_status=DeliveryStatus.SENT)

    page = client.get(location).content.decode()
    assert event.case_id == case.pk
    assert "您好，我們已向信義店查證，將退還餐費。" in page
    assert "內部備註" not in page
    assert "chen_meiling" not in page
    assert "電子郵件中已向顧客說明" not in page  # sent on another channel
    assert "我們已收到您的意見" not in page  # the automatic acknowledgement


def test_the_status_is_told_in_the_customers_words(
    client: Client, form_channel: Channel, users: dict[str, Any], company: dict[str, Any]
) -> None:
    location = _submit(client, form_channel)["Location"]
    _filed(InboundEvent.objects.get())
    case = Case.objects.get()
    agent = users["agent"]
    assert _current_step(client.get(location).content.decode()) == "Received"
    case_services.update_case(case, by=agent, fields={"category": company["category"], "severity": 3, "department": company["cs"]})
    reply = outbound.send_reply(case, body="已收到，我們正在了解。", by=agent, target=_status_page_target(case))
    outbound.deliver(reply.delivery.pk)
    transition(case, Stage.INVESTIGATION, by=agent)
    page = client.get(location).content.decode()
    assert _current_step(page) == "Being handled"
    assert "Investigation" not in page  # the workflow's own words stay inside


def test_a_stranger_using_someone_elses_phone_learns_nothing_of_their_case(
    client: Client, form_channel: Channel, open_case: Any, users: dict[str, Any]
) -> None:
    # 王小明 (phone 0912-345-678) has an open case with a reply on the status page channel.
    theirs = open_case(subject="王小明的案件", body="我的外送少了一份餐")
    case_services.record_reply(
        theirs, body="王先生您好，補送的餐點今晚送達。", by=users["agent"], channel="webform",
        delivery_status=DeliveryStatus.SENT,
    )
    location = _submit(client, form_channel, name="冒名者", phone="0912-345-678", email="")["Location"]
    event = _filed(InboundEvent.objects.get())
    assert event.case_id == theirs.pk  # filed where it belongs, for the staff to judge
    page = client.get(location).content.decode()
    assert theirs.number not in page
    assert "補送的餐點" not in page
    assert "王小明" not in page


def test_a_submission_the_worker_gave_up_on_says_so_and_stops_polling(client: Client, form_channel: Channel) -> None:
    location = _submit(client, form_channel)["Location"]
    InboundEvent.objects.update(status=EventStatus.DEAD)
    page = client.get(location).content.decode()
    assert "longer than usual" in page
    assert "hx-trigger" not in page


def test_the_status_page_is_never_cached_or_indexed(client: Client, form_channel: Channel) -> None:
    response = client.get(_submit(client, form_channel)["Location"])
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]


def test_public_pages_carry_no_inline_script_or_style(client: Client, form_channel: Channel) -> None:
    pages = [client.get(_form_url(form_channel)), client.get(_submit(client, form_channel)["Location"]),
             _submit(client, form_channel, phone="", email="")]
    for response in pages:
        html = response.content.decode()
        assert "<script>" not in html and 'style="' not in html and "<style" not in html


def test_once_filed_the_staged_upload_is_removed_and_only_the_cases_copy_remains(
    client: Client, form_channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    import json

    from django.core.files.storage import default_storage

    photo = SimpleUploadedFile("湯.jpg", JPEG, content_type="image/jpeg")
    client.post(_form_url(form_channel), {**_answers(), "attachments": [photo]})
    event = InboundEvent.objects.get()
    (staged,) = [a["ref"] for a in json.loads(bytes(event.body))["attachments"]]
    assert default_storage.exists(staged)
    with django_capture_on_commit_callbacks(execute=True):
        _filed(event)
    assert not default_storage.exists(staged)  # personal data is not kept twice
    with Attachment.objects.get().file.open("rb") as handle:
        assert handle.read() == JPEG
