"""Domain errors of the cases app, carrying data; the edges (UI, API) translate them once."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class TransitionRefused(Exception):
    """The engine would not move the case. ``failed_guards`` names each unmet criterion."""

    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        case_number: str = "",
        transition: str = "",
        failed_guards: list[Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message
        self.case_number = case_number
        self.transition = transition
        self.failed_guards = failed_guards or []

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": str(self.message),
            "case": self.case_number,
            "transition": self.transition,
            "failed_guards": [g.as_dict() for g in self.failed_guards],
        }
