"""The SLA targets a new installation starts with (also loaded by a data migration).

Minutes per clock, severity and channel. Social and messaging channels (and anything not
listed) run 24/7 — complaints there arrive around the clock, in public; email and the web
form answer within business hours for S2–S4. S1 (personal safety) always runs 24/7, and
the safety lane caps its first response at 15 minutes whatever the table says.
"""

from __future__ import annotations

# (kind, stage, severity, channel, minutes, business_hours)
DEFAULT_TARGETS: list[tuple[str, str, int | None, str, int, bool]] = [
    ("first_response", "", 1, "", 15, False),
    ("first_response", "", 2, "", 60, False),
    ("first_response", "", 3, "", 240, False),
    ("first_response", "", 4, "", 480, False),
    ("first_response", "", None, "", 240, False),
    ("first_response", "", 2, "email", 240, True),
    ("first_response", "", 3, "email", 480, True),
    ("first_response", "", 4, "email", 960, True),
    ("first_response", "", None, "email", 480, True),
    ("first_response", "", 2, "webform", 240, True),
    ("first_response", "", 3, "webform", 480, True),
    ("first_response", "", 4, "webform", 960, True),
    ("first_response", "", None, "webform", 480, True),
    ("next_response", "", 1, "", 30, False),
    ("next_response", "", None, "", 240, False),
    ("next_response", "", None, "email", 480, True),
    ("next_response", "", None, "webform", 480, True),
    ("stage", "intake", 1, "", 30, False),
    ("stage", "intake", None, "", 240, False),
    ("stage", "investigation", 1, "", 480, False),
    ("stage", "investigation", None, "", 2880, False),
    ("stage", "response", None, "", 1440, False),
    ("stage", "qa", None, "", 1440, False),
    ("resolution", "", 1, "", 1440, False),
    ("resolution", "", 2, "", 4320, False),
    ("resolution", "", 3, "", 7200, False),
    ("resolution", "", 4, "", 10080, False),
    ("resolution", "", None, "", 7200, False),
]
