"""Signed acknowledge links: only ours, only for a while."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing

from tingjian import clock
from tingjian.alerts import links, services
from tingjian.alerts.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(users: dict[str, Any]) -> Notification:
    (made,) = services.notify(
        [users["manager"]], kind="sla.safety", verb="Safety case %(case)s", params={"case": "C-1"}, requires_ack=True,
    )
    return made


def test_the_link_is_absolute_and_names_the_notification(note: Notification, settings: Any) -> None:
    settings.TINGJIAN_PUBLIC_URL = "https://tingjian.example.com"
    url = links.ack_url(note)
    assert url.startswith("https://tingjian.example.com/notifications/ack/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert links.read_ack_token(token) == note.pk


def test_an_altered_token_is_forged(note: Notification) -> None:
    token = links.ack_token(note)
    with pytest.raises(links.ForgedLink):
        links.read_ack_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))


def test_a_token_signed_for_another_purpose_is_forged(note: Notification) -> None:
    other = signing.dumps({"n": note.pk, "u": note.recipient_id}, salt="something.else")
    with pytest.raises(links.ForgedLink):
        links.read_ack_token(other)


def test_a_token_for_another_recipient_is_forged(note: Notification, users: dict[str, Any]) -> None:
    other = signing.dumps({"n": note.pk, "u": users["agent"].pk}, salt=links.SALT)
    with pytest.raises(links.ForgedLink):
        links.read_ack_token(other)


def test_a_token_expires_after_the_configured_age(note: Notification, settings: Any) -> None:
    settings.TINGJIAN_ACK_LINK_MAX_AGE = 3600
    start = clock.now()
    with time_machine.travel(start, tick=False):
        token = links.ack_token(note)
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert links.read_ack_token(token) == note.pk
    with time_machine.travel(start + timedelta(minutes=61), tick=False), pytest.raises(links.ExpiredLink):
        links.read_ack_token(token)


def test_links_last_seven_days_by_default(note: Notification, settings: Any) -> None:
    assert settings.TINGJIAN_ACK_LINK_MAX_AGE == 7 * 24 * 3600
