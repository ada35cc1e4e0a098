"""Polling mailboxes: new mail becomes InboundEvents, exactly like a webhook's deliveries.

The last UID seen is saved in the same transaction as the events it covers, so a crash
between fetching and storing fetches the same mail again (and the unique Message-ID keeps
it single) instead of skipping it.
"""

from __future__ import annotations

import logging

from django.db import transaction

from tingjian import clock

from .adapters.base import Accepted
from .models import Channel, Kind
from .services import channel_config, note_problem, receive

logger = logging.getLogger(__name__)


def poll(channel_id: int) -> str:
    from .mailbox import MailboxUnavailable, fetch_new

    channel = Channel.objects.filter(pk=channel_id, kind=Kind.EMAIL, is_active=True).first()
    if channel is None:
        return "no such active mailbox"
    state = channel.state or {}
    try:
        result = fetch_new(
            channel_config(channel), last_uid=int(state.get("last_uid") or 0),
            uidvalidity=state.get("uidvalidity"),
        )
    except MailboxUnavailable as exc:
        note_problem(channel, str(exc))
        return "mailbox unavailable"
    with transaction.atomic():
        receive(channel, Accepted(events=list(result.events)))
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        locked.state = {**(locked.state or {}), "last_uid": result.last_uid, "uidvalidity": result.uidvalidity,
                        "last_poll_at": clock.now().isoformat()}
        fields = ["state"]
        if result.problems:
            locked.last_error, locked.last_error_at = "; ".join(result.problems)[:500], clock.now()
            fields += ["last_error", "last_error_at"]
        locked.save(update_fields=fields)
    logger.info("mailbox %s: %d new mail(s), %d problem(s)", channel.name, len(result.events), len(result.problems))
    if result.more:
        # A backlog (a first poll of a full mailbox): the next batch now, not in a minute.
        from .tasks import poll_mailbox

        try:
            poll_mailbox.enqueue(channel.pk)
        except Exception:
            logger.exception("could not enqueue the next batch of mailbox %s", channel.pk)
    return f"{len(result.events)} new" + (", more to come" if result.more else "")
