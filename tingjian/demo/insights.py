"""The demo's service record for managers: survey answers, KPI targets, branch denominators
and report schedules, then the KPI rollup of the whole history (issue 6).

Idempotent like the rest of ``tingjian demo``: each part is made only when none exists, so
``make run`` can call it every time. Survey answers go through the surveys services with
the clock set back to when the customer would have answered, so the dashboard's CSAT and
NPS, the low-score follow-ups and the survey early warning have something true to show.
"""

from __future__ import annotations

import random
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import transaction

from tingjian import clock
from tingjian.cases.models import Case, CloseReason, Stage
from tingjian.insights import services as insight_services
from tingjian.insights.models import KpiTarget
from tingjian.insights.rates.demo import seed_demo_denominators
from tingjian.org.models import Branch
from tingjian.reports import services as report_services
from tingjian.reports.models import Report, Schedule
from tingjian.sealed import unseal
from tingjian.surveys import sending
from tingjian.surveys import services as survey_services
from tingjian.surveys.models import Invitation, InvitationStatus

from .builder import BackDatedClock, clock_replaced_by

# Company-wide targets a restaurant chain could start with (durations in seconds).
TARGETS = [
    ("frt_median", 60 * 60), ("res_median", 3 * 24 * 3600), ("sla_first_response", 90.0),
    ("sla_resolution", 85.0), ("csat", 4.0), ("nps", 30.0), ("recurrence_rate", 10.0),
]
ANSWERED = 0.55  # of the invited customers
COMMENTS = {
    5: ["處理得很快，謝謝店長親自打電話來。", "处理很及时，谢谢！", "Quick and polite, thank you."],
    4: ["還可以，下次希望不用等那麼久。", "整体满意，补偿也合理。", "Fine in the end."],
    3: ["回覆有點制式。", "答复太慢了。", "It took three days to hear back."],
    2: ["等了四十分鐘才送到，湯都冷了，客服電話也一直忙線。", "问题没有真正解决。", "Nobody called me back as promised."],
    1: ["吃完回家以後肚子痛，拉肚子一整晚，只給我折價券？", "态度很差，不会再来了。", "Terrible. I will post this on Facebook."],
}


def build_insights(users: dict[str, Any], *, seed: int = 2026) -> dict[str, int]:
    """Everything the manager pages need besides the cases; returns what was made."""
    made = {"answers": 0, "targets": 0, "denominators": 0, "schedules": 0, "reports": 0}
    admin = users["admin"]
    made["denominators"] = seed_demo_denominators(by=admin)
    if not KpiTarget.objects.exists():
        for code, value in TARGETS:
            insight_services.set_target(kpi=code, value=value, by=admin)
            made["targets"] += 1
        busiest = Branch.objects.filter(is_active=True).order_by("code").first()
        if busiest is not None:
            insight_services.set_target(kpi="frt_median", value=30 * 60, branch=busiest, by=admin)
            made["targets"] += 1
    if not Schedule.objects.exists():
        report_services.save_schedule(by=admin, recipient_user=users["manager"], cadence="weekly")
        report_services.save_schedule(by=admin, recipient_user=users["executive"], cadence="monthly")
        made["schedules"] = 2
    if not Invitation.objects.exists():
        made["answers"] = _survey_history(random.Random(seed))
    call_command("insights", "rebuild", verbosity=0)
    if not Report.objects.exists():
        # Last week's report, made and mailed to the manager as the Monday schedule would.
        call_command("reports", "send", "--cadence", "weekly", "--to", users["manager"].username, stdout=StringIO())
        made["reports"] = 1
    return made


def _survey_history(rng: random.Random) -> int:
    """Invite every case closed long enough ago, as the minute sweep would have, and let
    about half the customers answer within a day, mostly satisfied."""
    real_now = clock.now()
    fake = BackDatedClock(limit=real_now - timedelta(minutes=5))
    closed = (
        Case.objects.filter(stage=Stage.CLOSED, closed_at__lt=fake.limit - sending.delay())
        .exclude(close_reason__in=[CloseReason.SPAM, CloseReason.DUPLICATE])
        .select_related("customer").order_by("closed_at", "pk")
    )
    answered = 0
    with clock_replaced_by(fake):
        for case in closed:
            assert case.closed_at is not None
            fake.set(case.closed_at + sending.delay())
            with transaction.atomic():
                invitation = sending.create_invitation(case)
            if invitation is None or invitation.status != InvitationStatus.PENDING:
                continue
            sending.send(invitation.pk)
            if rng.random() >= ANSWERED:
                continue
            token = unseal(invitation.token_sealed)["token"]
            fake.advance(timedelta(minutes=rng.randrange(10, 24 * 60)))
            csat = rng.choices((5, 4, 3, 2, 1), weights=(40, 30, 14, 9, 7))[0]
            survey_services.record_csat(token, score=csat)
            answered += 1
            if rng.random() < 0.6:
                nps = max(0, min(10, csat * 2 + rng.choice((-2, -1, 0, 0, 1))))
                comment = rng.choice(COMMENTS[csat]) if rng.random() < 0.5 else ""
                fake.advance(timedelta(minutes=1))
                answer = survey_services.complete(token, nps=nps, comment=comment)
                if comment:
                    survey_services.analyse(answer.pk)
    return answered
