"""The one source of "now" (ARCHITECTURE rule 6): tests move time by patching ``now``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
