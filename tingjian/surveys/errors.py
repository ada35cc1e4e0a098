"""What can go wrong with a survey link, as exceptions the public page turns into pages.

Each leaves everything unchanged; the page says which it was in the customer's language.
"""

from __future__ import annotations


class SurveyLinkError(Exception):
    status = 400


class LinkNotFound(SurveyLinkError):
    """No invitation has this token (mistyped, forged, or never sent)."""

    status = 404


class LinkExpired(SurveyLinkError):
    """The invitation's 30 days are over."""

    status = 410


class AlreadyAnswered(SurveyLinkError):
    """The answer exists and may not change (its satisfaction score, or all of it once complete)."""

    status = 409

    def __init__(self, *, complete: bool) -> None:
        super().__init__("already answered")
        self.complete = complete
