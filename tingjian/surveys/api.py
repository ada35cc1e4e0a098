"""The surveys part of REST API v1 (STYLE rule 7): the customers' answers, filtered and paged.

Thin: parse the filters, call ``surveys.selectors.answers``, shape each row. Without
``surveys.view_surveyanswer`` the caller gets 403 (the api app renders ``PermissionDenied``);
a bad filter is 422 before anything is read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from tingjian.org.models import Branch

from . import selectors
from .models import Answer

router = Router()

VIEW_ANSWERS = "surveys.view_surveyanswer"


class AnswerQuery(Schema):
    csat: int | None = Field(None, ge=1, le=5, description="only this satisfaction score")
    csat_low: bool = Field(False, description="only low satisfaction (1–2)")
    nps_band: Literal["", "detractor", "passive", "promoter"] = Field("", description="detractor 0–6, passive 7–8, promoter 9–10")
    branch: str = Field("", max_length=50, description="branch code")
    start: date | None = Field(None, description="answered on or after this local day")
    end: date | None = Field(None, description="answered on or before this local day")
    safety: bool = Field(False, description="only comments that mention personal safety")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


class AnswerOut(Schema):
    id: int
    case_number: str
    branch: str = Field(description="branch code, or empty")
    department: str = Field(description="department code, or empty")
    case_channel: str = Field(description="the channel the complaint came by")
    sent_by: str = Field(description="how the invitation went: the case's channel or email")
    language: str
    csat: int | None = Field(description="satisfaction, 1–5")
    nps: int | None = Field(description="likelihood to recommend, 0–10")
    comment: str
    sentiment: str = Field(description="negative, neutral or positive; empty until analysed or without a comment")
    keywords: list[str]
    safety: bool = Field(description="the comment mentions personal safety")
    answered_at: datetime
    completed_at: datetime | None
    follow_up: str = Field(description="open, done, or empty when the answer opened none")


class AnswerPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AnswerOut]


def answer_out(answer: Answer) -> dict[str, Any]:
    invitation = answer.invitation
    case = invitation.case
    follow_up = getattr(answer, "follow_up", None)
    return {
        "id": answer.pk, "case_number": case.number,
        "branch": case.branch.code if case.branch else "", "department": case.department.code if case.department else "",
        "case_channel": case.origin_channel, "sent_by": invitation.channel, "language": invitation.language,
        "csat": answer.csat, "nps": answer.nps, "comment": answer.comment, "sentiment": answer.sentiment,
        "keywords": list(answer.keywords or []), "safety": answer.safety,
        "answered_at": answer.answered_at, "completed_at": answer.completed_at,
        "follow_up": follow_up.status if follow_up else "",
    }


@router.get("/answers", response=AnswerPage, summary="Survey answers, newest first (surveys.view_surveyanswer)")
def list_answers(request: HttpRequest, filters: Query[AnswerQuery]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    if not user.has_perm(VIEW_ANSWERS):
        raise PermissionDenied(_("You may not see survey answers."))
    if filters.start and filters.end and filters.start > filters.end:
        raise ValidationError({"end": _("The end is before the start.")})
    branch_id = None
    if filters.branch:
        branch_id = Branch.objects.filter(code=filters.branch).values_list("pk", flat=True).first()
        if branch_id is None:
            raise ValidationError({"branch": _("No branch with the code %(code)s.") % {"code": filters.branch}})
    found = selectors.answers(user, selectors.AnswerFilters(
        csat=filters.csat, csat_low=filters.csat_low, nps_band=filters.nps_band, branch=branch_id,
        start=filters.start, end=filters.end, safety=filters.safety,
    ))
    rows = found[filters.offset:filters.offset + filters.limit]
    return {"count": found.count(), "limit": filters.limit, "offset": filters.offset, "items": [answer_out(a) for a in rows]}
