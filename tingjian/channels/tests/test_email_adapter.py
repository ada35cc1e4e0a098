"""The email adapter on sample mails (tests/mails/*.eml): messy charsets, quoting, attachments,
auto-replies and bounces, as real mailers send them. No server here: see test_email_servers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient.response_parser import parse_fetch_response

from tingjian import clock
from tingjian.channels import mailbox
from tingjian.channels.adapters.base import (
    AttachmentIn,
    ChannelConfig,
    CustomerMessage,
    DeliveryError,
    DeliveryReceipt,
    IncomingEvent,
    Nothing,
    OutgoingMessage,
    ParsedEvent,
    Recipient,
)
from tingjian.channels.adapters.email import ADAPTER, decode_bytes, decode_header_text, strip_quoted

MAILS = Path(__file__).parent / "mails"
CHANNEL = ChannelConfig(kind="email", name="support", config={"address": "support@tingjian.test", "display_name": "聽見客服"})
TAIPEI = datetime(2026, 3, 2, 1, 15, tzinfo=UTC)  # "Mon, 02 Mar 2026 09:15:00 +0800"


def raw(name: str) -> bytes:
    return (MAILS / name).read_bytes()


def parse_bytes(payload: bytes, meta: dict[str, Any] | None = None, channel: ChannelConfig = CHANNEL) -> ParsedEvent:
    event = IncomingEvent(external_id="<event@example.com>", payload=payload, content_type="message/rfc822", meta=meta or {"uid": 7})
    parsed = ADAPTER.parse(channel, event)
    assert len(parsed) == 1
    return parsed[0]


def message(name: str, meta: dict[str, Any] | None = None) -> CustomerMessage:
    parsed = parse_bytes(raw(name), meta)
    assert isinstance(parsed, CustomerMessage), parsed
    return parsed


def message_from(payload: bytes) -> CustomerMessage:
    parsed = parse_bytes(payload)
    assert isinstance(parsed, CustomerMessage), parsed
    return parsed


def with_header(name: str, header: bytes) -> bytes:
    """The sample mail with one more header line on top."""
    return header + b"\r\n" + raw(name)


# --- The adapter's shape ------------------------------------------------------------------


def test_email_is_a_polled_channel_with_its_settings_and_secrets() -> None:
    assert ADAPTER.kind == "email"
    assert ADAPTER.has_webhook is False
    assert set(ADAPTER.secret_keys) == {"imap_password", "smtp_password"}
    assert {"address", "imap_host", "imap_processed_folder", "smtp_security"} <= set(ADAPTER.config_keys)
    assert not set(ADAPTER.secret_keys) & set(ADAPTER.config_keys)


def test_email_has_no_reply_window() -> None:
    old = Recipient(handle="a@example.com", kind="email", last_inbound_at=TAIPEI - timedelta(days=400))
    assert ADAPTER.reply_window_problem(old, TAIPEI) == ""


# --- Who, what, when ----------------------------------------------------------------------


def test_message_carries_lower_cased_sender_and_decoded_name() -> None:
    parsed = message("utf8_reply_with_case_number.eml")
    assert parsed.channel == "email"
    assert parsed.external_id == "<event@example.com>"
    assert (parsed.contact.kind, parsed.contact.handle, parsed.contact.display_name) == ("email", "ming.wang@example.com", "王小明")


def test_subject_and_text_are_decoded() -> None:
    parsed = message("utf8_reply_with_case_number.eml")
    assert parsed.subject == "Re: 冰箱壞了 [C-2026-000123]"
    assert parsed.text == "您好，冰箱還是不會冷，請再派人來看。\n謝謝"


def test_case_number_in_the_subject_is_the_hint() -> None:
    assert message("utf8_reply_with_case_number.eml").case_number_hint == "C-2026-000123"
    lower = raw("no_charset_utf8.eml").replace("發票開錯了".encode(), b"about c-2026-000042 again")
    assert parse_bytes(lower).case_number_hint == "C-2026-000042"  # type: ignore[union-attr]
    assert message("no_charset_utf8.eml").case_number_hint == ""


def test_thread_refs_are_in_reply_to_first_then_references_latest_first() -> None:
    assert message("utf8_reply_with_case_number.eml").thread_refs == ("<reply-2@tingjian.test>", "<orig-1@example.com>")


def test_sent_at_comes_from_the_date_header() -> None:
    assert message("utf8_reply_with_case_number.eml").sent_at == TAIPEI


def test_sent_at_without_a_date_is_now(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    parsed = message("no_date_no_message_id.eml")
    assert parsed.sent_at == now
    assert parsed.text == "Is anyone there?"


def test_a_date_in_the_future_is_replaced_by_now(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)  # the sample is dated two months later
    monkeypatch.setattr(clock, "now", lambda: now)
    assert message("utf8_reply_with_case_number.eml").sent_at == now


def test_an_unparseable_date_is_now(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    payload = raw("no_charset_utf8.eml").replace(b"Mon, 02 Mar 2026 09:15:00 +0800", b"yesterday-ish")
    assert parse_bytes(payload).sent_at == now  # type: ignore[union-attr]


def test_a_very_long_subject_is_cut_to_fit() -> None:
    payload = raw("no_charset_utf8.eml").replace("發票開錯了".encode(), ("長" * 400).encode())
    subject = parse_bytes(payload).subject  # type: ignore[union-attr]
    assert len(subject) == 300 and subject.endswith("…")


# --- Charsets -----------------------------------------------------------------------------


def test_gb2312_label_reads_gbk_characters() -> None:
    parsed = message("gb2312_really_gbk.eml")
    assert "朱镕基路" in parsed.text and "陶喆" in parsed.text
    assert parsed.subject == "投诉：镕城店冰箱"


def test_raw_8bit_sender_name_is_decoded() -> None:
    assert message("gb2312_really_gbk.eml").contact.display_name == "陈先生"


def test_windows_gb2312_charset_label_is_understood() -> None:
    parsed = message("gb2312_charset_label.eml")
    assert (parsed.subject, parsed.text) == ("退货申请", "我要退货，订单号 88123。")


def test_default_charset_label_is_detected_as_big5() -> None:
    parsed = message("default_charset_big5.eml")
    assert parsed.subject == "客訴：門市服務態度"
    assert parsed.text == "您好，我上週在貴公司的台北分店購買的冰箱壞了，請盡快處理，謝謝。"


def test_unknown_8bit_label_and_unlabelled_8bit_subject_are_detected_as_gbk() -> None:
    parsed = message("unknown_8bit_gbk.eml")
    assert parsed.subject == "洗衣机漏水"
    assert parsed.text.startswith("您好，我上周在贵公司的分店购买的洗衣机漏水了")


def test_missing_charset_on_8bit_utf8() -> None:
    parsed = message("no_charset_utf8.eml")
    assert (parsed.subject, parsed.text) == ("發票開錯了", "發票抬頭開錯了，麻煩重開。")


def test_big5_label_reads_hkscs_characters() -> None:
    parsed = message("big5_hkscs.eml")
    assert parsed.subject == "部雪櫃壞咗"
    assert parsed.text == "佢哋話部雪櫃壞咗，你哋幾時嚟整呀？我喺度等咗好耐㗎喇。"


def test_gb18030_four_byte_characters() -> None:
    parsed = message("gb18030_four_byte.eml")
    assert parsed.subject == "𠀀字的名字打错了"
    assert parsed.text == "我的名字里有个𠀀字，会员卡上打错了 😀"


def test_latin1_label_on_utf8_bytes_is_read_as_utf8() -> None:
    parsed = message("latin1_label_really_utf8.eml")
    assert (parsed.subject, parsed.text) == ("店員很親切", "謝謝你們的店員，很親切。")


def test_utf8_label_on_gbk_bytes_is_detected() -> None:
    parsed = message("utf8_label_really_gbk.eml")
    assert (parsed.subject, parsed.text) == ("会员积分没有到账", "上个月的会员积分到现在还没有到账，请查一下。")


def test_real_latin1_stays_latin1() -> None:
    parsed = message("latin1_french.eml")
    assert parsed.text == "Le café était froid et la crème avariée. Très déçue."
    assert (parsed.subject, parsed.contact.display_name) == ("Très déçu", "Renée Dupré")


def test_encoded_words_split_inside_a_character_and_in_an_unknown_charset() -> None:
    assert message("encoded_words_split.eml").subject == "電視螢幕有裂痕（急）"


TRADITIONAL = ["謝謝", "客訴", "冰箱壞了", "發票", "高雄", "請盡快處理", "店員態度很差，我要投訴。"]
SIMPLIFIED_CLEAR = ["谢谢", "投诉", "冰箱坏了", "请尽快处理", "我买的冰箱坏了"]
# Everyday Chinese in GBK *and* in Big5 (电话 in GBK reads 萇趕 in Big5): only context can tell.
SIMPLIFIED_AMBIGUOUS = ["电话", "订单", "北京", "您好"]


@pytest.mark.parametrize(("text", "codec"), [(t, "big5hkscs") for t in TRADITIONAL] + [(t, "gb18030") for t in SIMPLIFIED_CLEAR] + [(t, "utf-8") for t in TRADITIONAL + SIMPLIFIED_CLEAR])
def test_short_unlabelled_chinese_is_read_right(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec), None) == text


@pytest.mark.parametrize("text", SIMPLIFIED_AMBIGUOUS)
def test_ambiguous_short_text_follows_the_charset_of_the_mails_body(text: str) -> None:
    assert decode_bytes(text.encode("gb18030"), None, prefer="gb18030") == text
    assert decode_bytes(text.encode("gb18030"), None) != text  # no context: the product's Traditional Chinese wins


def test_ambiguous_short_text_follows_a_simplified_chinese_product_language(settings: Any) -> None:
    settings.LANGUAGE_CODE = "zh-hans"
    assert decode_bytes("电话".encode("gb18030"), None) == "电话"


def test_unlabelled_subject_and_name_are_read_in_the_charset_of_the_body() -> None:
    sample = raw("gb2312_really_gbk.eml")  # body labelled gb2312; subject and name replaced by raw GBK
    payload = sample.replace(b"=?gb2312?B?" + sample.split(b"=?gb2312?B?")[1].split(b"?=")[0] + b"?=", "订单".encode("gb18030"))
    payload = payload.replace("陈先生".encode("gb18030"), "门店".encode("gb18030"))
    parsed = message_from(payload)
    assert (parsed.subject, parsed.contact.display_name) == ("订单", "门店")


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [
        ("您好，我上周在贵公司的台北分店购买的冰箱坏了，请尽快处理，谢谢。", "gb18030", "big5"),
        ("上个月的会员积分到现在还没有到账", "gb18030", "big5"),
        ("會員積分到現在還沒有入帳", "big5", "gb2312"),
    ],
)
def test_chinese_labelled_as_the_other_chinese_encoding_is_read_right(text: str, codec: str, label: str) -> None:
    assert decode_bytes(text.encode(codec), label) == text


def test_big5_with_rare_characters_keeps_its_label() -> None:
    assert decode_bytes("佢哋話部雪櫃壞咗，龘齉".encode("big5hkscs"), "big5") == "佢哋話部雪櫃壞咗，龘齉"


def test_chinese_labelled_latin1_is_read_as_chinese() -> None:
    assert decode_bytes("請盡快處理退款，謝謝".encode("big5"), "iso-8859-1") == "請盡快處理退款，謝謝"


def test_a_stray_byte_does_not_cost_the_declared_charset() -> None:
    text = "冰箱還是不會冷，" * 40
    assert decode_bytes(text.encode("utf-8") + b"\xe5\x86", "utf-8").startswith(text)


def test_undecodable_header_words_are_kept_as_text() -> None:
    assert decode_header_text("=?utf-8?B?not*base64?= ok") == "=?utf-8?B?not*base64?= ok"


def test_decoding_never_raises_and_leaves_nothing_unstorable() -> None:
    rng = random.Random(20260302)
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
        for label in (None, "utf-8", "gb2312", "big5", "DEFAULT_CHARSET", "x-nonsense", "iso-8859-1"):
            text = decode_bytes(data, label)
            text.encode("utf-8")  # no lone surrogates
            assert isinstance(text, str)


def test_nul_and_control_characters_are_removed() -> None:
    payload = raw("no_charset_utf8.eml").replace("麻煩".encode(), b"\x00\x07\x1b")
    assert parse_bytes(payload).text == "發票抬頭開錯了，重開。"  # type: ignore[union-attr]


# --- Structure: line endings, HTML, attachments --------------------------------------------


def test_bare_lf_mail_is_read_and_plain_text_preferred_over_html() -> None:
    parsed = message("bare_lf_alternative.eml")
    assert b"\r\n" not in raw("bare_lf_alternative.eml")
    assert parsed.subject == "Delivery was late"
    assert parsed.text == "The sofa came three days late.\nNobody called me."


def test_html_only_mail_becomes_readable_text_without_its_quote() -> None:
    parsed = message("html_only_meta_charset.eml")
    assert parsed.text == "您好，\n\n收到的商品 有以下問題：\n\n- 外盒破損\n- 少了遙控器\n\nA & B <C>"


def test_html_is_used_when_the_plain_part_is_empty() -> None:
    payload = raw("bare_lf_alternative.eml").replace(b"The sofa came three days late.\nNobody called me.", b"  ")
    assert parse_bytes(payload).text == "The sofa came three days late.\n\nNobody called me."  # type: ignore[union-attr]


def test_a_body_part_with_a_filename_is_still_the_text() -> None:
    payload = raw("no_charset_utf8.eml").replace(b"Content-Type: text/plain", b'Content-Type: text/plain; charset=utf-8; name="body.txt"')
    parsed = message_from(payload)
    assert parsed.text == "發票抬頭開錯了，麻煩重開。"
    assert [a.filename for a in parsed.attachments] == ["body.txt"]


def test_attachments_carry_content_name_type_and_size() -> None:
    parsed = message("attachments.eml")
    assert parsed.text == "發票和照片在附件。"
    by_type = {a.content_type: a for a in parsed.attachments}
    assert set(by_type) == {"image/png", "application/pdf", "text/plain", "message/rfc822"}
    pdf = by_type["application/pdf"]
    assert (pdf.kind, pdf.filename, pdf.content, pdf.size) == ("file", "發票.pdf", b"%PDF-1.4\n% tiny\n%%EOF\n", 22)
    image = by_type["image/png"]
    assert image.kind == "image" and image.content is not None and image.content.startswith(b"\x89PNG")
    assert by_type["text/plain"].filename == "維修單.txt"  # RFC 2047 in a parameter
    assert by_type["text/plain"].content == "維修單號 A-12".encode("big5")  # bytes untouched
    forwarded = by_type["message/rfc822"]
    assert forwarded.filename == "message.eml" and forwarded.content is not None and b"Order 88123 confirmed." in forwarded.content


def test_attachments_left_on_the_server_are_listed_with_a_note(settings: Any) -> None:
    settings.TINGJIAN_EMAIL_MAX_BYTES = 1_000_000
    meta = {"uid": 9, "truncated": True, "skipped": [{"part": "2", "filename": "影片.mp4", "content_type": "video/mp4", "size": 41_943_040}]}
    parsed = message("no_charset_utf8.eml", meta)
    assert parsed.text == "發票抬頭開錯了，麻煩重開。"
    (video,) = parsed.attachments
    assert (video.kind, video.filename, video.content_type, video.content, video.size) == ("video", "影片.mp4", "video/mp4", None, 41_943_040)
    assert video.note == "not fetched: 40.0\xa0MB; the mail was over the 976.6\xa0KB limit"


# --- Quoted history -----------------------------------------------------------------------


def test_gmail_reply_keeps_only_what_is_above_the_wrapped_attribution() -> None:
    assert message("reply_gmail.eml").text == "Thank you, the refund arrived today."


def test_outlook_traditional_chinese_reply_drops_the_quoted_header_block() -> None:
    assert message("reply_outlook_zh_tw.eml").text == "師傅今天來過了，已經修好。"


def test_outlook_simplified_chinese_reply_drops_the_quoted_header_block() -> None:
    assert message("reply_outlook_zh_cn.eml").text == "好的，我等退款。"


def test_original_message_separator_ends_the_text() -> None:
    assert message("reply_original_message.eml").text == "Please send the warranty card again, I lost it."


def test_a_mail_that_is_all_quote_is_kept_whole() -> None:
    assert message("only_quote.eml").text == "> Dear customer,\n> the refund was sent."


def test_answers_between_quoted_lines_are_kept() -> None:
    text = "> Which branch?\nTaipei Main Station.\n> When?\nLast Friday."
    assert strip_quoted(text) == "Taipei Main Station.\nLast Friday."


def test_chinese_gmail_attribution_ends_the_text() -> None:
    text = "收到，謝謝。\n\n聽見客服 <support@tingjian.test> 於 2026年3月2日 週一 上午10:00 寫道：\n> 退款已經處理。"
    assert strip_quoted(text) == "收到，謝謝。"


def test_a_from_line_alone_is_not_taken_for_a_quote() -> None:
    text = "From: Taipei branch, the clerk was rude.\nPlease call me back."
    assert strip_quoted(text) == text


def test_a_forwarded_mail_keeps_what_it_forwards() -> None:
    payload = raw("reply_original_message.eml").replace(b"Subject: RE: Warranty", b"Subject: Fwd: Warranty")
    assert "Your warranty card is attached." in parse_bytes(payload).text  # type: ignore[union-attr]


# --- Not a customer message ---------------------------------------------------------------


def test_out_of_office_reply_is_nothing() -> None:
    assert parse_bytes(raw("auto_reply_out_of_office.eml")) == Nothing("auto-reply")


@pytest.mark.parametrize(
    "header",
    [
        b"Auto-Submitted: auto-generated",
        b"X-Autoreply: yes",
        b"X-Autorespond: vacation",
        b"Precedence: bulk",
        b"Precedence: junk",
        b"Precedence: auto_reply",
    ],
)
def test_auto_reply_headers_make_it_nothing(header: bytes) -> None:
    assert parse_bytes(with_header("no_charset_utf8.eml", header)) == Nothing("auto-reply")


def test_auto_submitted_no_is_a_customer_message() -> None:
    assert isinstance(parse_bytes(with_header("no_charset_utf8.eml", b"Auto-Submitted: no")), CustomerMessage)


def test_mailer_daemon_mail_that_is_not_a_delivery_report_is_nothing() -> None:
    payload = raw("no_charset_utf8.eml").replace(b"Ming Wang <ming.wang@example.com>", b"MAILER-DAEMON@mx.example.com")
    assert parse_bytes(payload) == Nothing("auto-reply")


def test_mail_from_our_own_address_is_nothing() -> None:
    payload = raw("no_charset_utf8.eml").replace(b"Ming Wang <ming.wang@example.com>", b"Support <SUPPORT@tingjian.test>")
    assert parse_bytes(payload) == Nothing("our own message")


def test_mail_without_any_sender_is_nothing() -> None:
    assert parse_bytes(b"Subject: hello\r\n\r\nbody\r\n") == Nothing("no sender address")


# --- Delivery reports ---------------------------------------------------------------------


def test_bounce_is_a_failed_receipt_for_our_message() -> None:
    parsed = parse_bytes(raw("dsn_failed.eml"))
    assert parsed == DeliveryReceipt(
        platform_message_ids=("<out-10@tingjian.test>",),
        status="failed",
        at=datetime(2026, 3, 2, 2, 5, tzinfo=UTC),
        detail="550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown",
    )


def test_bounce_with_only_the_original_headers_names_the_original() -> None:
    parsed = parse_bytes(raw("dsn_headers_only.eml"))
    assert isinstance(parsed, DeliveryReceipt)
    assert (parsed.platform_message_ids, parsed.status, parsed.detail) == (("<out-11@tingjian.test>",), "failed", "552 5.2.2 Mailbox full")


def test_delay_warning_is_nothing() -> None:
    assert parse_bytes(raw("dsn_failed.eml").replace(b"Action: failed", b"Action: delayed")) == Nothing("delivery delayed")


def test_success_report_is_a_delivered_receipt() -> None:
    parsed = parse_bytes(raw("dsn_failed.eml").replace(b"Action: failed", b"Action: delivered"))
    assert isinstance(parsed, DeliveryReceipt) and parsed.status == "delivered"


# --- Never crash --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\ncut off",
        b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5oiR5Zy*\r\n",
        b"From: a@example.com\r\nthis header has no colon\r\nDate: 99 Foo 9999 99:99\r\n\r\nbody",
        b"From: a@example.com\r\nContent-Type: text/html; charset=\"\r\n\r\n<p><b>unclosed <i>tags &bogus; &#xFFFFFFF;",
        b"From: =?utf-8?B?\xff\xfe?= <a@example.com>\r\nSubject: =?gb2312?Q?=B2=E2=CA?=\r\n\r\n\xb2\xe2",
        b"From: a@example.com\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\n\r\n--r--",
    ],
)
def test_parse_never_crashes_on_broken_mail(payload: bytes) -> None:
    parsed = parse_bytes(payload)
    assert isinstance(parsed, CustomerMessage | Nothing | DeliveryReceipt)
    if isinstance(parsed, CustomerMessage):
        assert parsed.contact.handle == "a@example.com"
        (parsed.text + parsed.subject + parsed.contact.display_name).encode("utf-8")


def test_absurdly_nested_mail_is_nothing_rather_than_a_crash() -> None:
    depth = 3000
    opening = b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1) for i in range(depth))
    payload = b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n" + opening + b"--b%d\r\n\r\ndeep\r\n" % depth
    assert parse_bytes(payload) == Nothing("mail nested too deeply to read")


def test_broken_base64_body_keeps_what_decodes() -> None:
    payload = b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5oiR5Zyo5Y+w\r\n5YyX=\r\n"
    assert parse_bytes(payload).text.startswith("我在台")  # type: ignore[union-attr]


# --- Sending: what is refused before any connection ---------------------------------------

REPLY = OutgoingMessage(text="您好", case_number="C-2026-000123", retry_key="k")
TO = Recipient(handle="ming.wang@example.com", kind="email")


def test_send_without_a_sender_address_is_not_retried() -> None:
    channel = ChannelConfig(kind="email", name="support", config={"smtp_host": "127.0.0.1"})
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, TO, REPLY)
    assert (refused.value.retry, refused.value.code) == (False, "config")


def test_send_with_unknown_smtp_security_is_not_retried() -> None:
    channel = ChannelConfig(kind="email", name="support", config={"address": "support@tingjian.test", "smtp_host": "127.0.0.1", "smtp_security": "tls-please"})
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, TO, REPLY)
    assert (refused.value.retry, refused.value.code) == (False, "config")


def test_send_to_an_invalid_address_is_not_retried() -> None:
    channel = ChannelConfig(kind="email", name="support", config={"address": "support@tingjian.test", "smtp_host": "127.0.0.1"})
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, Recipient(handle="not an address", kind="email"), REPLY)
    assert (refused.value.retry, refused.value.code) == (False, "recipient")


def test_attachment_without_content_is_refused() -> None:
    channel = ChannelConfig(kind="email", name="support", config={"address": "support@tingjian.test", "smtp_host": "127.0.0.1"})
    reply = OutgoingMessage(text="see file", case_number="", retry_key="k", attachments=(AttachmentIn(kind="file", filename="a.pdf", media_ref="x"),))
    with pytest.raises(DeliveryError) as refused:
        ADAPTER.send(channel, TO, reply)
    assert (refused.value.retry, refused.value.code) == (False, "attachment")


# --- Mailbox helpers that need no server --------------------------------------------------


def test_event_id_is_the_message_id_or_a_hash_of_the_mail() -> None:
    assert mailbox._external_id(raw("utf8_reply_with_case_number.eml")) == "<cafe-0001@example.com>"
    anonymous = raw("no_date_no_message_id.eml")
    assert mailbox._external_id(anonymous).startswith("sha256:")
    assert mailbox._external_id(anonymous) == mailbox._external_id(bytes(anonymous))
    assert mailbox._external_id(anonymous) != mailbox._external_id(anonymous + b"more")


def test_bodystructure_walk_finds_text_parts_and_attachments() -> None:
    # Dovecot's answer for: multipart/mixed (multipart/alternative (plain, html), pdf, mail).
    response = (
        b'1 (UID 5 BODYSTRUCTURE ((("text" "plain" ("charset" "big5") NIL NIL "base64" 120 2 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "big5") NIL NIL "quoted-printable" 300 8 NIL NIL NIL NIL) "alternative" ("boundary" "a") NIL NIL NIL)'
        b'("application" "pdf" ("name" "=?UTF-8?B?55m856WoLnBkZg==?=") NIL NIL "base64" 4000 NIL ("attachment" ("filename*" "utf-8\'\'%E7%99%BC%E7%A5%A8.pdf")) NIL NIL)'
        b'("message" "rfc822" NIL NIL NIL "7bit" 500 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" NIL NIL NIL "7bit" 4 1 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)'
        b' "mixed" ("boundary" "m") NIL NIL NIL))'
    )
    structure = parse_fetch_response([response])[5][b"BODYSTRUCTURE"]
    leaves = mailbox._leaves(structure, "")
    assert [(leaf.part, leaf.content_type, leaf.is_text) for leaf in leaves] == [
        ("1.1", "text/plain", True), ("1.2", "text/html", True), ("2", "application/pdf", False), ("3", "message/rfc822", False),
    ]
    assert (leaves[2].filename, leaves[2].size) == ("發票.pdf", 3000)


def test_a_truncated_mail_is_rebuilt_from_its_header_and_text_parts() -> None:
    header = b"From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed;\r\n boundary=orig\r\nMessage-ID: <big@example.com>\r\n\r\n"
    rebuilt = mailbox._rebuild(header, [b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "還在".encode()], 3)
    assert b"boundary=orig" not in rebuilt
    assert rebuilt == mailbox._rebuild(header, [b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + "還在".encode()], 3)
    parsed = parse_bytes(rebuilt)
    assert isinstance(parsed, CustomerMessage) and (parsed.subject, parsed.text) == ("big", "還在")
