"""The email channel against real servers on 127.0.0.1: our replies into aiosmtpd, our
polling of Dovecot (skipped, with the reason, when Dovecot is not installed)."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from tingjian.channels import mailbox
from tingjian.channels.adapters.base import (
    AttachmentIn,
    ChannelConfig,
    CustomerMessage,
    DeliveryError,
    DeliveryReceipt,
    OutgoingMessage,
    Recipient,
)
from tingjian.channels.adapters.email import ADAPTER
from tingjian.channels.mailbox import MailboxUnavailable, fetch_new

from .mailservers import (  # noqa: F401  (the fixtures: dovecot, imap_account, smtp_server, tls_certificates)
    Certificates,
    ImapAccount,
    SmtpFactory,
    dovecot_fixture,
    free_port,
    imap_account_fixture,
    smtp_server_fixture,
    tls_certificates_fixture,
)

MAILS = Path(__file__).parent / "mails"
TEXT = "王先生您好：\n師傅明天下午會到府維修，請保持電話暢通。\n\n聽見客服 敬上"
REPLY = OutgoingMessage(text=TEXT, case_number="C-2026-000123", retry_key="r-1")
CUSTOMER = Recipient(
    handle="ming.wang@example.com", kind="email", subject="冰箱壞了",
    in_reply_to="<cafe-0001@example.com>", references=("<orig-1@example.com>",),
)


def raw(name: str) -> bytes:
    return (MAILS / name).read_bytes()


# --- SMTP -----------------------------------------------------------------------------------


def smtp_channel(port: int, security: str = "none", **extra: Any) -> ChannelConfig:
    secrets = {"smtp_password": extra.pop("password")} if "password" in extra else {}
    return ChannelConfig(
        kind="email", name="support", secrets=secrets,
        config={"address": "support@tingjian.test", "display_name": "聽見客服", "smtp_host": "127.0.0.1",
                "smtp_port": port, "smtp_security": security, **extra},
    )


def received(server: Any) -> email.message.EmailMessage:
    (only,) = server.messages
    message = email.message_from_bytes(only.data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_reply_arrives_with_its_headers_and_chinese_body_intact(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    result = ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    assert result.mode == "smtp"
    assert re.fullmatch(r"<[^<>@\s]+@tingjian\.test>", result.platform_message_id)
    (envelope,) = server.messages
    assert (envelope.mail_from, envelope.rcpt_tos) == ("support@tingjian.test", ["ming.wang@example.com"])
    assert envelope.data.isascii()  # MIME-encoded: no 8-bit data on the wire
    mail = received(server)
    sender = mail["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("聽見客服", "support@tingjian.test")
    assert mail["To"] == "ming.wang@example.com"
    assert mail["Subject"] == "Re: 冰箱壞了 [C-2026-000123]"
    assert mail["Message-ID"] == result.platform_message_id
    assert mail["Date"].datetime is not None
    assert (mail.get_content_type(), mail.get_content_charset()) == ("text/plain", "utf-8")
    # Text in MIME's canonical form (CRLF line ends), as every mail client expects.
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT


def test_reply_is_threaded_under_the_customers_mail(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    mail = received(server)
    assert mail["In-Reply-To"] == "<cafe-0001@example.com>"
    assert mail["References"] == "<orig-1@example.com> <cafe-0001@example.com>"


def test_case_number_already_in_the_subject_is_not_added_twice(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    tagged = Recipient(handle="ming.wang@example.com", kind="email", subject="回覆: 冰箱壞了 [C-2026-000123]", in_reply_to="<cafe-0001@example.com>")
    ADAPTER.send(smtp_channel(server.port), tagged, REPLY)
    assert received(server)["Subject"] == "回覆: 冰箱壞了 [C-2026-000123]"


def test_first_reply_without_subject_or_thread(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    ADAPTER.send(smtp_channel(server.port), Recipient(handle="Ming.Wang@example.com", kind="email"), REPLY)
    mail = received(server)
    assert mail["Subject"] == "Your message [C-2026-000123]"
    assert mail["In-Reply-To"] is None and mail["References"] is None


def test_each_reply_gets_its_own_message_id(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    first = ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    second = ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    assert first.platform_message_id != second.platform_message_id


def test_attachments_are_sent_with_the_reply(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    pdf = b"%PDF-1.4\n%%EOF\n"
    reply = OutgoingMessage(text="報價單如附件。", case_number="C-2026-000123", retry_key="r-2",
                            attachments=(AttachmentIn(kind="file", filename="報價單.pdf", content_type="application/pdf", content=pdf),))
    ADAPTER.send(smtp_channel(server.port), CUSTOMER, reply)
    mail = received(server)
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content().strip() == "報價單如附件。"
    (attachment,) = list(mail.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content_type(), attachment.get_content()) == ("報價單.pdf", "application/pdf", pdf)


def test_starttls_then_login(smtp_server: SmtpFactory, tls_certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificates.ca_file))  # trust the test CA
    server = smtp_server(tls="starttls", auth={"support": "s3cret"})
    ADAPTER.send(smtp_channel(server.port, "starttls", smtp_user="support", password="s3cret"), CUSTOMER, REPLY)
    (envelope,) = server.messages
    assert (envelope.tls, envelope.login) == (True, "support")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd, about itself
def test_implicit_tls_then_login(smtp_server: SmtpFactory, tls_certificates: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_certificates.ca_file))
    server = smtp_server(tls="ssl", auth={"support": "s3cret"})
    ADAPTER.send(smtp_channel(server.port, "ssl", smtp_user="support", password="s3cret"), CUSTOMER, REPLY)
    (envelope,) = server.messages
    assert (envelope.tls, envelope.login) == (True, "support")


def test_untrusted_certificate_is_not_retried(smtp_server: SmtpFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "no-ca.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    server = smtp_server(tls="starttls")
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(server.port, "starttls"), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (False, "tls")
    assert server.messages == []


def test_server_without_starttls_is_not_retried(smtp_server: SmtpFactory) -> None:
    server = smtp_server(tls="none")
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(server.port, "starttls"), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (False, "config")
    assert server.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd, about itself
def test_wrong_password_is_not_retried_and_not_shown(smtp_server: SmtpFactory) -> None:
    server = smtp_server(auth={"support": "s3cret"})
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(server.port, smtp_user="support", password="wrong-horse"), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (False, "auth")
    assert "535" in failed.value.message and "wrong-horse" not in failed.value.message
    assert server.messages == []


def test_refused_recipient_is_not_retried(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    server.rcpt_reply = "550 5.1.1 <ming.wang@example.com>: User unknown"
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (False, "recipient")
    assert "550 5.1.1 <…>: User unknown" in failed.value.message  # the reason, not the address


def test_temporarily_refused_recipient_is_retried(smtp_server: SmtpFactory) -> None:
    server = smtp_server()
    server.rcpt_reply = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(server.port), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (True, "recipient")


def test_server_not_listening_is_retried() -> None:
    with pytest.raises(DeliveryError) as failed:
        ADAPTER.send(smtp_channel(free_port()), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (True, "connection")


def test_server_that_never_answers_times_out_and_is_retried(settings: Any) -> None:
    settings.TINGJIAN_OUTBOUND_TIMEOUT = 0.5
    with socket.socket() as silent:  # accepts the connection (backlog), never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(DeliveryError) as failed:
            ADAPTER.send(smtp_channel(silent.getsockname()[1]), CUSTOMER, REPLY)
    assert (failed.value.retry, failed.value.code) == (True, "connection")


# --- IMAP -----------------------------------------------------------------------------------

LIMIT = 40_000
VIDEO = bytes(range(256)) * 800  # 200 KB


def huge_mail() -> bytes:
    """A mail over LIMIT: a short Chinese text and a 200 KB attachment."""
    video = base64.encodebytes(VIDEO).replace(b"\n", b"\r\n")
    return (
        b"From: Ming Wang <ming.wang@example.com>\r\nTo: support@tingjian.test\r\n"
        b"Subject: =?utf-8?B?" + base64.b64encode("監視器錄影".encode()) + b"?=\r\n"
        b"Date: Tue, 03 Mar 2026 10:00:00 +0800\r\nMessage-ID: <huge-0099@example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "店員推倒我的影片在附件。".encode("big5") + b"\r\n"
        b'--b\r\nContent-Type: video/mp4\r\nContent-Disposition: attachment; filename="store.mp4"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + video + b"--b--\r\n"
    )


SAMPLES = [
    "utf8_reply_with_case_number.eml",
    "default_charset_big5.eml",  # a lying charset label
    "attachments.eml",
    "dsn_failed.eml",
    "no_date_no_message_id.eml",
]


def imap_channel(account: ImapAccount, **extra: Any) -> ChannelConfig:
    return ChannelConfig(kind="email", name="support", config=account.config(**extra), secrets={"imap_password": account.password})


def uids_in(account: ImapAccount, folder: str = "INBOX") -> list[int]:
    client = account.client()
    try:
        client.select_folder(folder, readonly=True)
        return sorted(client.search(["ALL"]))
    finally:
        client.logout()


@pytest.fixture
def loaded(imap_account: ImapAccount, settings: Any) -> tuple[ImapAccount, mailbox.FetchResult]:
    """Five sample mails and one over the size limit, fetched from a fresh mailbox."""
    settings.TINGJIAN_EMAIL_MAX_BYTES = LIMIT
    imap_account.append(*(raw(name) for name in SAMPLES), huge_mail())
    return imap_account, fetch_new(imap_channel(imap_account), last_uid=0, uidvalidity=None)


def test_fetch_new_returns_every_mail_in_uid_order(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    _, result = loaded
    assert [event.meta["uid"] for event in result.events] == [1, 2, 3, 4, 5, 6]
    assert (result.last_uid, result.problems, result.more) == (6, [], False)
    assert result.uidvalidity is not None and result.uidvalidity > 0
    assert {event.content_type for event in result.events} == {"message/rfc822"}


def test_events_are_keyed_by_message_id_or_a_hash(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    _, result = loaded
    ids = [event.external_id for event in result.events]
    assert ids[:4] == ["<cafe-0001@example.com>", "<big5-0004@example.com.tw>", "<att-0020@example.com.tw>", "<dsn-0022@mx.tingjian.test>"]
    assert ids[4] == "sha256:" + hashlib.sha256(result.events[4].payload).hexdigest()
    assert ids[5] == "<huge-0099@example.com>"


def test_mails_under_the_limit_are_fetched_whole(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    _, result = loaded
    for name, event in zip(SAMPLES, result.events, strict=False):
        assert event.payload == raw(name), name
        assert (event.meta["truncated"], event.meta["skipped"]) == (False, [])


def test_mail_over_the_limit_keeps_its_text_and_lists_the_attachment_left_behind(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    _, result = loaded
    huge = result.events[5]
    assert len(huge.payload) < LIMIT < len(huge_mail())
    assert huge.meta["truncated"] is True
    (skipped,) = huge.meta["skipped"]
    assert (skipped["filename"], skipped["content_type"]) == ("store.mp4", "video/mp4")
    assert abs(skipped["size"] - len(VIDEO)) < len(VIDEO) * 0.05


def test_every_fetched_mail_parses(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    account, result = loaded
    channel = imap_channel(account)
    parsed = [ADAPTER.parse(channel, event)[0] for event in result.events]
    first, big5, attachments, bounce, anonymous, huge = parsed
    assert isinstance(first, CustomerMessage) and first.case_number_hint == "C-2026-000123"
    assert isinstance(big5, CustomerMessage) and big5.text.startswith("您好，我上週在貴公司的台北分店購買的冰箱壞了")
    assert isinstance(attachments, CustomerMessage) and {a.filename for a in attachments.attachments} >= {"發票.pdf", "維修單.txt"}
    assert isinstance(bounce, DeliveryReceipt) and bounce.platform_message_ids == ("<out-10@tingjian.test>",)
    assert isinstance(anonymous, CustomerMessage) and anonymous.text == "Is anyone there?"
    assert isinstance(huge, CustomerMessage)
    assert (huge.subject, huge.text) == ("監視器錄影", "店員推倒我的影片在附件。")
    (video,) = huge.attachments
    assert (video.filename, video.kind, video.content) == ("store.mp4", "video", None)
    assert video.note.startswith("not fetched:")


def test_fetching_leaves_the_mails_unread(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    account, _ = loaded
    client = account.client()
    try:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
    finally:
        client.logout()
    assert len(flags) == 6
    assert all(b"\\Seen" not in f for f in flags.values())


def test_next_fetch_from_the_returned_uid_gets_only_new_mail(loaded: tuple[ImapAccount, mailbox.FetchResult]) -> None:
    account, first = loaded
    channel = imap_channel(account)
    again = fetch_new(channel, last_uid=first.last_uid, uidvalidity=first.uidvalidity)
    assert (again.events, again.last_uid, again.uidvalidity) == ([], 6, first.uidvalidity)
    account.append(raw("big5_hkscs.eml"))
    third = fetch_new(channel, last_uid=again.last_uid, uidvalidity=again.uidvalidity)
    assert [(e.meta["uid"], e.external_id) for e in third.events] == [(7, "<hk-0007@example.com.hk>")]
    assert third.last_uid == 7


def test_changed_uidvalidity_starts_over(imap_account: ImapAccount) -> None:
    channel = imap_channel(imap_account, imap_folder="Support")
    imap_account.append(raw("reply_gmail.eml"), raw("only_quote.eml"), folder="Support")
    before = fetch_new(channel, last_uid=0, uidvalidity=None)
    assert before.last_uid == 2
    client = imap_account.client()  # the folder is recreated: the server renumbers it
    try:
        client.delete_folder("Support")
    finally:
        client.logout()
    imap_account.append(raw("big5_hkscs.eml"), folder="Support")
    after = fetch_new(channel, last_uid=before.last_uid, uidvalidity=before.uidvalidity)
    assert after.uidvalidity != before.uidvalidity
    assert [(e.meta["uid"], e.external_id) for e in after.events] == [(1, "<hk-0007@example.com.hk>")]
    assert after.last_uid == 1


def test_processed_mails_move_once_the_next_poll_shows_they_were_stored(imap_account: ImapAccount) -> None:
    channel = imap_channel(imap_account, imap_processed_folder="Tingjian")
    imap_account.append(raw("reply_gmail.eml"), raw("only_quote.eml"))
    first = fetch_new(channel, last_uid=0, uidvalidity=None)
    assert len(first.events) == 2
    assert uids_in(imap_account) == [1, 2]  # not moved before the caller stored them
    imap_account.append(raw("big5_hkscs.eml"))
    second = fetch_new(channel, last_uid=first.last_uid, uidvalidity=first.uidvalidity)
    assert [e.external_id for e in second.events] == ["<hk-0007@example.com.hk>"]
    assert second.problems == []
    assert uids_in(imap_account) == [3]
    assert len(uids_in(imap_account, "Tingjian")) == 2
    client = imap_account.client()
    try:
        client.select_folder("Tingjian", readonly=True)
        assert all(b"\\Seen" not in flags for flags in client.get_flags(client.search(["ALL"])).values())
    finally:
        client.logout()


def test_single_part_text_over_the_limit_is_cut_at_the_limit(imap_account: ImapAccount, settings: Any) -> None:
    settings.TINGJIAN_EMAIL_MAX_BYTES = 20_000
    long_text = ("我要投訴。" * 3000).encode("utf-8")  # 45 KB
    imap_account.append(
        b"From: a@example.com\r\nSubject: long\r\nMessage-ID: <long@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + long_text
    )
    (event,) = fetch_new(imap_channel(imap_account), last_uid=0, uidvalidity=None).events
    assert event.meta["truncated"] is True and len(event.payload) <= 20_000
    parsed = ADAPTER.parse(imap_channel(imap_account), event)[0]
    assert isinstance(parsed, CustomerMessage) and parsed.text.startswith("我要投訴。我要投訴。") and len(parsed.text) > 5000


def test_unreadable_mail_is_reported_and_the_others_still_come(imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    imap_account.append(raw("reply_gmail.eml"), raw("only_quote.eml"), raw("big5_hkscs.eml"))
    real = mailbox._fetch_one

    def server_says_no_to_uid_2(client: Any, uid: int, size: int, max_bytes: int) -> Any:
        if uid == 2:
            raise IMAPClientError("FETCH failed: Internal error")
        return real(client, uid, size, max_bytes)

    monkeypatch.setattr(mailbox, "_fetch_one", server_says_no_to_uid_2)
    result = fetch_new(imap_channel(imap_account), last_uid=0, uidvalidity=None)
    assert [e.meta["uid"] for e in result.events] == [1, 3]
    assert result.last_uid == 3
    (problem,) = result.problems
    assert "UID 2" in problem and "Internal error" in problem


def test_lost_connection_keeps_what_was_read_and_resumes_there(imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    imap_account.append(raw("reply_gmail.eml"), raw("only_quote.eml"), raw("big5_hkscs.eml"))
    real = mailbox._fetch_one

    def connection_drops_at_uid_2(client: Any, uid: int, size: int, max_bytes: int) -> Any:
        if uid == 2:
            raise IMAPClientAbortError("socket error: EOF")
        return real(client, uid, size, max_bytes)

    with monkeypatch.context() as patch:
        patch.setattr(mailbox, "_fetch_one", connection_drops_at_uid_2)
        broken = fetch_new(imap_channel(imap_account), last_uid=0, uidvalidity=None)
    assert ([e.meta["uid"] for e in broken.events], broken.last_uid, broken.more) == ([1], 1, True)
    assert len(broken.problems) == 1
    resumed = fetch_new(imap_channel(imap_account), last_uid=broken.last_uid, uidvalidity=broken.uidvalidity)
    assert [e.meta["uid"] for e in resumed.events] == [2, 3]


def test_a_batch_at_a_time(imap_account: ImapAccount) -> None:
    imap_account.append(raw("reply_gmail.eml"), raw("only_quote.eml"), raw("big5_hkscs.eml"))
    first = fetch_new(imap_channel(imap_account), last_uid=0, uidvalidity=None, limit=2)
    assert ([e.meta["uid"] for e in first.events], first.more) == ([1, 2], True)
    rest = fetch_new(imap_channel(imap_account), last_uid=first.last_uid, uidvalidity=first.uidvalidity, limit=2)
    assert ([e.meta["uid"] for e in rest.events], rest.more) == ([3], False)


def test_wrong_password_says_so_without_the_password(imap_account: ImapAccount) -> None:
    channel = ChannelConfig(kind="email", name="support", config=imap_account.config(), secrets={"imap_password": "wrong-horse"})
    with pytest.raises(MailboxUnavailable, match="refused the login") as refused:
        fetch_new(channel, last_uid=0, uidvalidity=None)
    assert "wrong-horse" not in str(refused.value) and imap_account.user not in str(refused.value)


def test_unreachable_server_says_so() -> None:
    channel = ChannelConfig(kind="email", name="support", config={"imap_host": "127.0.0.1", "imap_port": free_port(), "imap_ssl": "false"})
    with pytest.raises(MailboxUnavailable, match="Could not connect to the mail server 127.0.0.1"):
        fetch_new(channel, last_uid=0, uidvalidity=None)


def test_missing_folder_says_so(imap_account: ImapAccount) -> None:
    with pytest.raises(MailboxUnavailable, match="“Nowhere” cannot be opened"):
        fetch_new(imap_channel(imap_account, imap_folder="Nowhere"), last_uid=0, uidvalidity=None)
