"""Emailing one report to one recipient: the body of the ``send_delivery`` task.

Responsible for: claiming the delivery (a conditional UPDATE), building the email (the
report's HTML, a plain-text body, the PDF attached) in the report's language, sending it
once and recording the outcome in plain words. Must never: send a delivery twice — a
delivery found "sending" after a crash is not sent again automatically (the mail may have
left before the crash); it is marked failed and can be sent again by hand — or record an
address or a mail server's reply (which may quote it) in the error or the log.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from tingjian import clock
from tingjian.alerts.services import absolute_url

from . import compose, render
from .models import Delivery, DeliveryStatus, Report, ReportStatus

logger = logging.getLogger(__name__)

# A delivery still "sending" after this long belonged to a worker that died mid-send.
CLAIM_TIMEOUT = timedelta(minutes=15)
RETRY_WAITS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
SUBJECT_MAX = 150


def claim(delivery_id: int) -> bool:
    now = clock.now()
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING,
            report__in=Report.objects.filter(status=ReportStatus.READY).values("pk"),
        ).update(status=DeliveryStatus.SENDING, claimed_at=now)
    )


def give_up_interrupted(now: Any = None) -> int:
    """Deliveries left "sending" by a worker that stopped: marked failed, never resent
    automatically (the email may have gone out just before the stop)."""
    now = now or clock.now()
    with override(settings.LANGUAGE_CODE):
        message = _("Interrupted while sending; not sent again automatically, so that nobody gets it twice.")
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
        status=DeliveryStatus.FAILED, error=message, claimed_at=None, due_at=None,
    )


def _address(delivery: Delivery) -> tuple[str, str]:
    """(the address, or "" with the reason in plain words)."""
    user = delivery.recipient_user
    if delivery.schedule is not None and not delivery.schedule.active:
        return "", _("The schedule was stopped before the report was sent.")
    if user is not None:
        if not user.is_active:
            return "", _("The recipient's account is inactive.")
        if not user.email:
            return "", _("The recipient has no email address.")
        return user.email, ""
    if delivery.recipient_email:
        return delivery.recipient_email, ""
    return "", _("The delivery has no recipient.")


def problem_in_words(exc: Exception) -> str:
    """What went wrong, for people, without the address or the server's text."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("The mail server refused the recipient's address.")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _("The mail server refused our login; check the TINGJIAN_EMAIL settings.")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _("The mail server refused the sender address.")
    if isinstance(exc, smtplib.SMTPDataError):
        return _("The mail server refused the message (it may be too large).")
    if isinstance(exc, ConnectionError | TimeoutError | OSError | smtplib.SMTPServerDisconnected):
        return _("Could not reach the mail server.")
    return _("The email could not be sent (%(kind)s).") % {"kind": type(exc).__name__}


def build(delivery: Delivery, address: str) -> EmailMultiAlternatives:
    report = delivery.report
    data = report.data
    with override(report.language):
        subject = " ".join(compose.title(data).split())[:SUBJECT_MAX]
        url = absolute_url(reverse("web:report-detail", args=[report.pk]))
        text = render.text(data, url=url)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "localhost"
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[address],
        headers={
            "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
            # The same id for the same delivery: a mail client shows a duplicate once.
            "Message-ID": f"<tingjian-report-{report.pk}-delivery-{delivery.pk}@{domain}>",
        },
    )
    message.attach_alternative(report.html, "text/html")
    if report.pdf:
        message.attach(filename(report), bytes(report.pdf), "application/pdf")
    return message


def filename(report: Report) -> str:
    scope = report.scope_key.replace(":", "-")
    return f"tingjian-{report.cadence}-{report.period_start:%Y%m%d}-{scope}-{report.language}.pdf"


def send(delivery_id: int) -> str:
    """Send the delivery if it is due and its report is ready; safe to run twice."""
    if not claim(delivery_id):
        return "nothing to send (sent, not due, report not ready, or another worker has it)"
    delivery = Delivery.objects.select_related("report", "schedule", "recipient_user").get(pk=delivery_id)
    with override(delivery.report.language):
        address, reason = _address(delivery)
    if not address:
        _record(delivery_id, status=DeliveryStatus.FAILED, error=reason, due_at=None)
        return "failed: " + reason
    try:
        build(delivery, address).send()
    except Exception as exc:
        return _failed(delivery, exc)
    _record(
        delivery_id, status=DeliveryStatus.SENT, sent_at=clock.now(), error="", due_at=None,
        attempts=delivery.attempts + 1, recipient_email=address,
    )
    return "sent"


def _record(delivery_id: int, **fields: Any) -> None:
    Delivery.objects.filter(pk=delivery_id).update(claimed_at=None, **fields)


def _failed(delivery: Delivery, exc: Exception) -> str:
    attempts = delivery.attempts + 1
    with override(delivery.report.language):
        problem = problem_in_words(exc)[:300]
    logger.warning("report delivery %s failed (%s), attempt %s", delivery.pk, type(exc).__name__, attempts)
    if attempts <= len(RETRY_WAITS):
        due = clock.now() + RETRY_WAITS[attempts - 1]
        _record(delivery.pk, status=DeliveryStatus.PENDING, attempts=attempts, error=problem, due_at=due)
        from . import tasks

        tasks.enqueue_send(delivery.pk, run_after=due)
        return "will retry"
    _record(delivery.pk, status=DeliveryStatus.FAILED, attempts=attempts, error=problem, due_at=None)
    return "failed"
