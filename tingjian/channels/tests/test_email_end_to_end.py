"""Email end to end on real servers: Dovecot (IMAP) → poll → case; reply → aiosmtpd (SMTP);
the customer's answer to our reply threads back into the same case.

Needs Debian's dovecot-imapd (.ci/run installs it); without it the test is skipped.
"""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest

from tingjian.cases.models import Case, DeliveryStatus
from tingjian.channels import outbound, pipeline, polling, services
from tingjian.channels.models import Channel, EventStatus, InboundEvent, OutboundDelivery

from .mailservers import (  # noqa: F401  (fixtures)
    ImapAccount,
    SmtpFactory,
    dovecot_fixture,
    imap_account_fixture,
    smtp_server_fixture,
    tls_certificates_fixture,
)

pytestmark = pytest.mark.django_db

FIRST = b"""From: =?UTF-8?B?546L5aSn5piO?= <Da.Ming@Example.com>
To: support@tingjian.test
Subject: =?GB2312?B?zqK3sbXEt6LGsbK71f3It8Hx?=
Message-ID: <first-0001@example.com>
Date: Mon, 23 Nov 2026 09:00:00 +0800
MIME-Version: 1.0
Content-Type: text/plain; charset="GB2312"
Content-Transfer-Encoding: 8bit

""" + "发票金额错了，请帮我改。电话 0912-888-777\n".encode("gb18030")


def test_a_mail_becomes_a_case_the_reply_goes_out_threaded_and_the_answer_threads_back(
    imap_account: ImapAccount, smtp_server: SmtpFactory, users: dict[str, Any], settings: Any
) -> None:
    smtp = smtp_server()
    channel = services.create_channel(kind="email", name="support", by=None, values={
        **{k: str(v) for k, v in imap_account.config().items()}, "imap_password": imap_account.password,
        "smtp_host": "127.0.0.1", "smtp_port": str(smtp.port), "smtp_security": "none", "display_name": "聽見客服",
    })
    imap_account.append(FIRST)
    assert polling.poll(channel.pk).startswith("1 new")
    assert polling.poll(channel.pk).startswith("0 new")  # the mailbox remembers where it was
    event = InboundEvent.objects.get()
    pipeline.ingest(event.pk)
    case = Case.objects.get()
    assert case.messages.get().body.startswith("发票金额错了")  # GB2312 label, GB18030 bytes
    assert case.customer.identities.get(kind="email").external_id == "da.ming@example.com"

    message = outbound.send_reply(case, body="王先生您好，發票已更正。", by=users["agent"])
    assert outbound.deliver(OutboundDelivery.objects.get().pk) == "sent (smtp)"
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT and message.external_id.startswith("<")
    sent = email.message_from_bytes(smtp.messages[0].data, policy=email.policy.default)
    assert sent["In-Reply-To"] == "<first-0001@example.com>" and case.number in str(sent["Subject"])
    assert "發票已更正" in sent.get_body().get_content()  # type: ignore[union-attr]

    answer = (f"From: da.ming@example.com\nTo: support@tingjian.test\nSubject: Re: {sent['Subject']}\n"
              f"Message-ID: <answer-0002@example.com>\nIn-Reply-To: {message.external_id}\n"
              f"References: <first-0001@example.com> {message.external_id}\nMIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=utf-8\n\n謝謝，收到了。\n").encode()
    imap_account.append(answer)
    polling.poll(channel.pk)
    latest = InboundEvent.objects.exclude(pk=event.pk).get()
    pipeline.ingest(latest.pk)
    latest.refresh_from_db()
    assert latest.status == EventStatus.FILED and latest.case == case
    assert list(case.messages.values_list("direction", flat=True)) == ["in", "out", "in"]
    assert Channel.objects.get().last_error == ""
