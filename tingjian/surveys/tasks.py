"""Background work of the surveys app (django.tasks): thin, by id, idempotent.

The task bodies import their module when they run, so the modules that enqueue (sending,
services) can import this one without a cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.tasks import task

logger = logging.getLogger(__name__)


@task(priority=30)
def send_invitation(invitation_id: int) -> str:
    from .sending import send

    return send(invitation_id)


@task(priority=30)
def analyse_answer(answer_id: int) -> str:
    from .services import analyse

    return analyse(answer_id)


def enqueue_send(invitation_id: int, *, run_after: datetime | None = None) -> None:
    # A queue that is down must not fail the caller (this runs after commit): the row stays
    # pending and the sweep (services.periodic_work) enqueues it again.
    try:
        chosen = send_invitation.using(run_after=run_after) if run_after else send_invitation
        chosen.enqueue(invitation_id)
    except Exception:
        logger.exception("could not enqueue survey invitation %s; the sweep will", invitation_id)


def enqueue_analysis(answer_id: int) -> None:
    try:
        analyse_answer.enqueue(answer_id)
    except Exception:
        logger.exception("could not enqueue the analysis of survey answer %s; the sweep will", answer_id)
