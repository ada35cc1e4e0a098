"""Do surveys show early signs? Satisfaction dips by branch or agent, beside complaint volume.

For the period and the one just before it (same length), per branch (the case's) or per
agent (the case's assignee): the average CSAT (1–5), the NPS (% promoters 9–10 − %
detractors 0–6, from −100 to 100), how many answered, and the complaints opened. A row
**dips** when CSAT fell by at least ``csat_drop`` points or NPS by at least ``nps_drop``
points, with at least ``min_answers`` answers in both periods — fewer answers move too much
by chance to mean anything. Answers count in the period they were given (``answered_at``),
complaints in the period they were opened, so a dip often shows before the complaints do.

Two grouped queries on answers (indexed on answered_at) and two on cases per call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _

from tingjian.org.models import Branch
from tingjian.surveys.models import Answer

from ..models import NONE
from ..selectors import Slice
from ..tables import Column, Table
from .common import cases_link, cases_opened, evidence_link

GROUPINGS = ("branch", "agent")
FIELD = {"branch": "branch_id", "agent": "assignee_id"}
DEFAULT_CSAT_DROP = 0.3
DEFAULT_NPS_DROP = 10.0
DEFAULT_MIN_ANSWERS = 5


@dataclass(frozen=True)
class Scores:
    answers: int = 0
    csat_answers: int = 0
    csat_sum: int = 0
    nps_answers: int = 0
    promoters: int = 0
    detractors: int = 0

    @property
    def csat(self) -> float | None:
        return self.csat_sum / self.csat_answers if self.csat_answers else None

    @property
    def nps(self) -> float | None:
        return (self.promoters - self.detractors) * 100 / self.nps_answers if self.nps_answers else None


@dataclass
class ScoreRow:
    key: int
    label: str
    now: Scores
    before: Scores
    complaints: int
    complaints_before: int
    reasons: list[str] = field(default_factory=list)
    answers_url: str = ""
    complaints_url: str = ""

    @property
    def dips(self) -> bool:
        return bool(self.reasons)

    @property
    def csat_change(self) -> float | None:
        if self.now.csat is None or self.before.csat is None:
            return None
        return self.now.csat - self.before.csat

    @property
    def nps_change(self) -> float | None:
        if self.now.nps is None or self.before.nps is None:
            return None
        return self.now.nps - self.before.nps

    @property
    def complaints_change(self) -> float | None:
        if not self.complaints_before:
            return None
        return (self.complaints - self.complaints_before) / self.complaints_before


@dataclass
class Warning:
    slice: Slice
    by: str
    rows: list[ScoreRow]
    answers: int

    @property
    def dips(self) -> list[ScoreRow]:
        return [row for row in self.rows if row.dips]

    def table(self) -> Table:
        table = Table(
            name=f"survey-early-warning-{self.by}-{self.slice.start}-{self.slice.end}",
            title=str(_("Survey early warning")),
            columns=[
                Column("label", _("Branch") if self.by == "branch" else _("Agent")),
                Column("csat", _("CSAT"), "float"), Column("csat_before", _("CSAT before"), "float"),
                Column("csat_answers", _("CSAT answers"), "int"),
                Column("nps", _("NPS"), "float"), Column("nps_before", _("NPS before"), "float"),
                Column("nps_answers", _("NPS answers"), "int"),
                Column("complaints", _("Complaints"), "int"), Column("complaints_before", _("Complaints before"), "int"),
                Column("dip", _("Dip")),
            ],
        )
        for row in self.rows:
            table.rows.append({
                "label": row.label, "csat": _round(row.now.csat, 2), "csat_before": _round(row.before.csat, 2),
                "csat_answers": row.now.csat_answers, "nps": _round(row.now.nps, 1), "nps_before": _round(row.before.nps, 1),
                "nps_answers": row.now.nps_answers, "complaints": row.complaints, "complaints_before": row.complaints_before,
                "dip": "; ".join(row.reasons),
            })
        return table


def _round(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


def _answer_scores(slice: Slice, column: str) -> dict[int, Scores]:
    start, end = slice.bounds()
    qs = Answer.objects.filter(answered_at__gte=start, answered_at__lt=end)
    case = "invitation__case__"
    for dimension, field_name in (("branch", "branch_id"), ("department", "department_id")):
        value = getattr(slice, dimension)
        if value == NONE:
            qs = qs.filter(**{f"{case}{field_name}__isnull": True})
        elif value is not None:
            qs = qs.filter(**{f"{case}{field_name}": value})
    if slice.channel:
        qs = qs.filter(**{f"{case}origin_channel": slice.channel})
    rows = (
        qs.order_by().values(key=F(f"{case}{column}"))
        .annotate(
            answers=Count("pk"), csat_answers=Count("csat"), csat_sum=Sum("csat"), nps_answers=Count("nps"),
            promoters=Count("pk", filter=Q(nps__gte=9)), detractors=Count("pk", filter=Q(nps__lte=6)),
        )
    )
    return {
        row["key"] if row["key"] is not None else NONE: Scores(
            answers=row["answers"], csat_answers=row["csat_answers"], csat_sum=row["csat_sum"] or 0, nps_answers=row["nps_answers"],
            promoters=row["promoters"], detractors=row["detractors"],
        )
        for row in rows
    }


def _complaints(slice: Slice, column: str, *, user: Any) -> dict[int, int]:
    rows = cases_opened(slice, user=user).order_by().values(column).annotate(n=Count("id"))
    return {row[column] if row[column] is not None else NONE: row["n"] for row in rows}


def _labels(by: str, keys: set[int]) -> dict[int, str]:
    ids = [key for key in keys if key != NONE]
    if by == "branch":
        names = {b.pk: b.label for b in Branch.objects.filter(pk__in=ids)}
        names[NONE] = str(_("no branch"))
    else:
        names = {u.pk: u.get_full_name() or u.get_username() for u in get_user_model().objects.filter(pk__in=ids)}
        names[NONE] = str(_("unassigned"))
    return names


def survey_warning(
    slice: Slice, *, user: Any, by: str = "branch", csat_drop: float = DEFAULT_CSAT_DROP,
    nps_drop: float = DEFAULT_NPS_DROP, min_answers: int = DEFAULT_MIN_ANSWERS,
) -> Warning:
    """Every branch (or agent) with answers or complaints, the dips first (see the docstring)."""
    if by not in GROUPINGS:
        raise ValueError(_("Group by branch or by agent."))
    column = FIELD[by]
    previous = slice.previous()
    now, before = _answer_scores(slice, column), _answer_scores(previous, column)
    complaints, complaints_before = _complaints(slice, column, user=user), _complaints(previous, column, user=user)
    keys = set(now) | set(before) | set(complaints)
    names = _labels(by, keys)
    rows = []
    for key in keys:
        row = ScoreRow(
            key=key, label=names.get(key, str(key)), now=now.get(key, Scores()), before=before.get(key, Scores()),
            complaints=complaints.get(key, 0), complaints_before=complaints_before.get(key, 0),
        )
        enough_csat = row.now.csat_answers >= min_answers and row.before.csat_answers >= min_answers
        enough_nps = row.now.nps_answers >= min_answers and row.before.nps_answers >= min_answers
        if enough_csat and row.csat_change is not None and row.csat_change <= -csat_drop:
            row.reasons.append(_("CSAT down %(points).2f points") % {"points": -row.csat_change})
        if enough_nps and row.nps_change is not None and row.nps_change <= -nps_drop:
            row.reasons.append(_("NPS down %(points).0f points") % {"points": -row.nps_change})
        if by == "branch":
            row.answers_url = cases_link(slice, what="answers", branch=key, score="csat")
            row.complaints_url = cases_link(slice, branch=key)
        else:
            row.answers_url = evidence_link("agent", slice, agent=key, what="answers")
            row.complaints_url = evidence_link("agent", slice, agent=key, what="opened")
        rows.append(row)
    rows.sort(key=lambda r: (not r.dips, r.csat_change if r.csat_change is not None else 0.0, -r.complaints, r.label))
    return Warning(slice=slice, by=by, rows=rows, answers=sum(s.answers for s in now.values()))
