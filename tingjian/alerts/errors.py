"""What acknowledging can refuse, as exceptions with data; the web and the API translate them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class NotYours(Exception):
    """Only the person a notification was sent to may acknowledge it."""

    def __init__(self, notification_id: int) -> None:
        super().__init__(f"notification {notification_id} belongs to someone else")
        self.notification_id = notification_id


class NothingToAcknowledge(ValidationError):
    """The notification did not ask for an acknowledgement.

    A ValidationError, so the API answers 422 like any other refused input.
    """

    def __init__(self, notification_id: int) -> None:
        super().__init__(_("This notification does not need an acknowledgement."), code="nothing_to_acknowledge")
        self.notification_id = notification_id


class AlreadyAcknowledged(Exception):
    """A second acknowledgement: nothing changed; says who took it and when."""

    def __init__(self, notification_id: int, *, at: datetime, by: Any, via: str) -> None:
        super().__init__(f"notification {notification_id} was already acknowledged")
        self.notification_id = notification_id
        self.at = at
        self.by = by
        self.via = via

    @property
    def by_name(self) -> str:
        name: str = self.by.get_full_name() or self.by.get_username()
        return name
