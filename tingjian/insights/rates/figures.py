"""Reading the per-10,000 figures: live (computed now from the cases) and published (frozen).

**Which complaints count** (the one definition, used by the live figure and by publishing):
a case counts for branch *B* in month *M* when its ``branch`` is *B* and it was opened
(``Case.opened_at``) on or after 00:00 of the first day of *M* and before 00:00 of the first
day of the next month, both in *B*'s own time zone (``Branch.time_zone``). Cases closed as
spam (not a complaint) or as a duplicate (the same complaint, already counted in the case it
duplicates) do not count; every other case does, whatever its stage. Cases with no branch
count for no branch.

The figure is complaints × 10,000 ÷ the branch's denominator for that month; with no
denominator (or a zero one, which the database refuses anyway) there is no figure, only the
note "no denominator".

Must never: write anything, or scan cases outside the month asked for (the count uses the
case table's (branch, opened_at) index).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext as _

from tingjian.cases.models import Case, CloseReason
from tingjian.org.models import Branch

from ..models import Basis, Denominator, Dispute, DisputeStatus, Publication
from ..tables import Column, Table
from . import months

PER = 10_000
NOT_COUNTED = (CloseReason.SPAM, CloseReason.DUPLICATE)
BASIS_LABELS = dict(Basis.choices)


def rate(complaints: int, denominator: int | None) -> float | None:
    """Complaints per 10,000, or None when there is nothing to divide by."""
    if not denominator or denominator <= 0:
        return None
    return round(complaints * PER / denominator, 4)


@dataclass(frozen=True)
class Figure:
    branch_id: int
    code: str
    label: str
    complaints: int
    denominator: int | None
    basis: str
    rate: float | None
    time_zone: str = ""  # the branch's, for whether the month is over there

    @property
    def note(self) -> str:
        return _("no denominator") if self.rate is None else ""

    @property
    def basis_label(self) -> str:
        return str(BASIS_LABELS.get(self.basis, self.basis))

    def as_json(self) -> dict[str, Any]:
        return {
            "branch": self.branch_id, "code": self.code, "complaints": self.complaints,
            "denominator": self.denominator, "basis": self.basis, "rate": self.rate,
        }


def counted_cases(month: date, branches: list[Branch]) -> QuerySet[Case]:
    """The cases that count for ``branches`` in ``month`` (see the module docstring)."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for branch in branches:
        by_zone[branch.time_zone].append(branch.pk)
    conditions = []
    for zone_name, ids in by_zone.items():
        start, end = months.bounds(month, zone_name)
        conditions.append(Q(branch_id__in=ids, opened_at__gte=start, opened_at__lt=end))
    if not conditions:
        return Case.objects.none()
    return Case.objects.filter(reduce(operator.or_, conditions)).exclude(close_reason__in=NOT_COUNTED)


def complaints_by_branch(month: date, branches: list[Branch]) -> dict[int, int]:
    """{branch id: complaints counted in ``month``}, in one query."""
    rows = counted_cases(month, branches).order_by().values("branch_id").annotate(n=Count("id"))
    return {row["branch_id"]: row["n"] for row in rows}


def _branches_of(month: date) -> list[Branch]:
    """Active branches, and any other branch with a denominator that month."""
    with_denominator = Denominator.objects.filter(month=month).values("branch_id")
    qs = Branch.objects.filter(Q(is_active=True) | Q(pk__in=with_denominator))
    return list(qs.order_by("code"))


def live_figures(month: date) -> list[Figure]:
    """Every branch's figure for ``month`` as the cases and denominators stand now."""
    branches = _branches_of(month)
    counts = complaints_by_branch(month, branches)
    denominators = {d.branch_id: d for d in Denominator.objects.filter(month=month)}
    figures = []
    for branch in branches:
        denominator = denominators.get(branch.pk)
        complaints = counts.get(branch.pk, 0)
        value = denominator.value if denominator else None
        figures.append(Figure(
            branch_id=branch.pk, code=branch.code, label=branch.label, complaints=complaints,
            denominator=value, basis=denominator.basis if denominator else "", rate=rate(complaints, value),
            time_zone=branch.time_zone,
        ))
    return figures


def time_zones(figures: list[Figure]) -> set[str]:
    return {figure.time_zone for figure in figures if figure.time_zone}


def publications(month: date) -> list[Publication]:
    """Every version published for ``month``, newest first."""
    return list(Publication.objects.filter(month=month).select_related("published_by").order_by("-version"))


def latest_publication(month: date) -> Publication | None:
    return Publication.objects.filter(month=month).select_related("published_by").order_by("-version").first()


def published_figures(publication: Publication, labels: dict[int, str] | None = None) -> list[Figure]:
    """The frozen figures of ``publication``, exactly as stored (labels in the reader's language)."""
    if labels is None:
        ids = [row["branch"] for row in publication.figures]
        labels = {b.pk: b.label for b in Branch.objects.filter(pk__in=ids)}
    return [
        Figure(
            branch_id=row["branch"], code=row.get("code", ""), label=labels.get(row["branch"], row.get("code", "")),
            complaints=row["complaints"], denominator=row.get("denominator"), basis=row.get("basis") or "",
            rate=row.get("rate"),
        )
        for row in publication.figures
    ]


def disputes_by_branch(month: date) -> dict[int, list[Dispute]]:
    """The month's disputes (against any version), per branch, newest first."""
    out: dict[int, list[Dispute]] = defaultdict(list)
    rows = (
        Dispute.objects.filter(publication__month=month)
        .select_related("publication", "filed_by", "answered_by").order_by("-filed_at", "-id")
    )
    for dispute in rows:
        out[dispute.branch_id].append(dispute)
    return dict(out)


def dispute(pk: int) -> Dispute:
    return Dispute.objects.select_related("publication", "branch", "filed_by", "answered_by").get(pk=pk)


def month_versions(months_shown: list[date]) -> dict[date, int]:
    """{month: latest published version} for the months that have one."""
    rows = (
        Publication.objects.filter(month__in=months_shown)
        .values("month").annotate(latest=Max("version")).order_by()
    )
    return {row["month"]: row["latest"] for row in rows}


@dataclass
class RateRow:
    """One branch on the page: the live figure beside the latest published one."""

    live: Figure
    published: Figure | None = None
    disputes: list[Dispute] = field(default_factory=list)

    @property
    def changed_since(self) -> bool:
        """The live figure no longer says what was published (a correction may be due)."""
        if self.published is None:
            return False
        return (self.live.complaints, self.live.denominator) != (self.published.complaints, self.published.denominator)

    @property
    def open_disputes(self) -> int:
        return sum(d.status == DisputeStatus.OPEN for d in self.disputes)


@dataclass
class MonthView:
    month: date
    rows: list[RateRow]
    publication: Publication | None  # the version shown
    versions: list[Publication]  # newest first
    is_over: bool

    @property
    def latest(self) -> Publication | None:
        return self.versions[0] if self.versions else None

    @property
    def shows_latest(self) -> bool:
        return self.publication is not None and self.publication == self.latest

    @property
    def differing(self) -> int:
        """Branches whose live figure no longer says what the shown version says."""
        return sum(row.changed_since for row in self.rows)

    @property
    def total(self) -> Figure:
        """The company as a whole: all counted complaints over all denominators of branches that have one."""
        with_denominator = [row.live for row in self.rows if row.live.denominator]
        complaints = sum(f.complaints for f in with_denominator)
        denominator = sum(f.denominator or 0 for f in with_denominator)
        return Figure(0, "", _("All branches with a denominator"), complaints, denominator or None, "", rate(complaints, denominator))


def month_view(month: date, version: int | None = None) -> MonthView:
    """What /insights/rates/ shows for ``month``: live figures beside a published version
    (the latest unless ``version`` is given; ``Publication.DoesNotExist`` for an unknown one)
    and the disputes."""
    live = live_figures(month)
    versions = publications(month)
    shown = versions[0] if versions else None
    if version is not None:
        shown = next((p for p in versions if p.version == version), None)
        if shown is None:
            raise Publication.DoesNotExist(version)
    labels = {figure.branch_id: figure.label for figure in live}
    published = {f.branch_id: f for f in published_figures(shown, labels)} if shown else {}
    disputes = disputes_by_branch(month)
    rows = [RateRow(live=f, published=published.pop(f.branch_id, None), disputes=disputes.get(f.branch_id, [])) for f in live]
    # A published branch that is no longer active still shows, with its frozen figure.
    for figure in published.values():
        empty = Figure(figure.branch_id, figure.code, figure.label, 0, None, "", None)
        rows.append(RateRow(live=empty, published=figure, disputes=disputes.get(figure.branch_id, [])))
    return MonthView(
        month=month, rows=rows, publication=shown, versions=versions,
        is_over=month < months.current_month() and months.is_over(month, time_zones(live)),
    )


def rates_table(view: MonthView) -> Table:
    """The page's table, for CSV and XLSX."""
    version = view.publication.version if view.publication else None
    table = Table(
        name=f"per-10000-{months.month_text(view.month)}",
        title=str(_("Complaints per 10,000")) + f" {months.month_text(view.month)}",
        columns=[
            Column("code", _("Branch code")),
            Column("branch", _("Branch")),
            Column("complaints", _("Complaints (live)"), "int"),
            Column("denominator", _("Denominator (live)"), "int"),
            Column("basis", _("Counted")),
            Column("rate", _("Per 10,000 (live)"), "float"),
            Column("note", _("Note")),
            Column("version", _("Published version"), "int"),
            Column("published_complaints", _("Complaints (published)"), "int"),
            Column("published_denominator", _("Denominator (published)"), "int"),
            Column("published_rate", _("Per 10,000 (published)"), "float"),
            Column("disputes", _("Open disputes"), "int"),
        ],
    )
    for row in view.rows:
        live, published = row.live, row.published
        table.rows.append({
            "code": live.code, "branch": live.label, "complaints": live.complaints,
            "denominator": live.denominator, "basis": live.basis_label if live.basis else "",
            "rate": live.rate, "note": live.note, "version": version if published else None,
            "published_complaints": published.complaints if published else None,
            "published_denominator": published.denominator if published else None,
            "published_rate": published.rate if published else None,
            "disputes": row.open_disputes,
        })
    return table


# --------------------------------------------------------------------------- denominators


@dataclass
class GridRow:
    branch: Branch
    basis: str
    values: list[int | None]  # one per month of the year, January first


def denominator_grid(year: int) -> list[GridRow]:
    """Active branches (and any with a value that year) × the twelve months of ``year``."""
    stored = Denominator.objects.filter(month__year=year)
    by_branch: dict[int, dict[int, Denominator]] = defaultdict(dict)
    for denominator in stored:
        by_branch[denominator.branch_id][denominator.month.month] = denominator
    branches = Branch.objects.filter(Q(is_active=True) | Q(pk__in=list(by_branch)))
    rows = []
    for branch in branches.order_by("code"):
        cells = by_branch.get(branch.pk, {})
        bases = [d.basis for d in cells.values()]
        basis = max(set(bases), key=bases.count) if bases else Basis.CUSTOMERS
        rows.append(GridRow(branch=branch, basis=basis, values=[cells[m].value if m in cells else None for m in range(1, 13)]))
    return rows


def cases_behind(month: date, branch_id: int, *, user: Any) -> QuerySet[Case]:
    """The cases counted in a branch's live figure (those the user may see), newest first."""
    from tingjian.cases.permissions import visible_cases

    branches = list(Branch.objects.filter(pk=branch_id))
    return (
        visible_cases(user, counted_cases(month, branches))
        .select_related("customer", "category", "category__parent", "branch", "department", "root_cause", "assignee")
        .order_by("-opened_at", "-id")
    )
