"""The KPI catalogue: each KPI defined once, here, and read by the dashboard, the reports
and the API alike (STYLE rule 7).

A KPI is a function of a period's summed measures (``measures.Totals``, see the table of
measures and the day each event counts on in ``tingjian.insights.measures``), declared with
``@kpi``: its code, label, unit, which way is better, and the drill-down parameters that list
the cases behind it (``selectors.drill_cases`` reads them). The function's docstring is the
definition people read; keep it exact. "Live" KPIs (the backlog) are computed from the open
cases now, not from the rollup, and take the backlog counts instead of the measures.

Adding a KPI: write the function here; if it needs a new measure, add it to
``measures`` and ``rollup.compute``, then ``tingjian insights rebuild``.
Never queries the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .measures import STAGES, Totals

AT_MOST = "at_most"  # better when lower
AT_LEAST = "at_least"  # better when higher
UNITS = ("count", "percent", "seconds", "score", "per10k")

# Backlog age buckets (upper bounds in days; the last is open-ended).
AGE_BUCKETS: tuple[tuple[str, float | None, float | None], ...] = (
    ("lt1d", None, 1),
    ("1_3d", 1, 3),
    ("3_7d", 3, 7),
    ("gt7d", 7, None),
)


@dataclass(frozen=True)
class Kpi:
    code: str
    label: str | Promise
    unit: str
    direction: str
    compute: Callable[[Any], float | None]
    drill: Mapping[str, str]
    live: bool = False
    # Shown beside an empty value ("no answers yet").
    empty_note: str | Promise = ""
    group: str = "volume"
    definition: str = field(default="", compare=False)


CATALOGUE: dict[str, Kpi] = {}


def kpi(
    code: str, label: str | Promise, *, unit: str, direction: str, drill: Mapping[str, str],
    live: bool = False, empty_note: str | Promise = "", group: str = "volume",
) -> Callable[[Callable[[Any], float | None]], Callable[[Any], float | None]]:
    if unit not in UNITS or direction not in (AT_MOST, AT_LEAST):
        raise ValueError(f"KPI {code}: bad unit or direction")

    def register(fn: Callable[[Any], float | None]) -> Callable[[Any], float | None]:
        if code in CATALOGUE:
            raise ValueError(f"KPI {code} defined twice")
        CATALOGUE[code] = Kpi(
            code, label, unit, direction, fn, dict(drill), live, empty_note, group,
            " ".join((fn.__doc__ or "").replace("``", "").split()),
        )
        return fn

    return register


def get(code: str) -> Kpi:
    try:
        return CATALOGUE[code]
    except KeyError:
        raise UnknownKpi(code) from None


class UnknownKpi(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(_("There is no KPI called “%(code)s”.") % {"code": code})
        self.code = code


def _ratio(part: float, whole: float) -> float | None:
    return None if not whole else 100.0 * part / whole


# --- volume ---------------------------------------------------------------------------

@kpi("opened", _("Cases opened"), unit="count", direction=AT_MOST, drill={"what": "opened"})
def opened(m: Totals) -> float | None:
    """Cases opened in the period (every channel, every close reason), counted on the local
    day of ``opened_at``. Behind it: those cases."""
    return m.count("opened")


@kpi("safety", _("Personal-safety cases"), unit="count", direction=AT_MOST, drill={"what": "safety"})
def safety(m: Totals) -> float | None:
    """Cases opened in the period flagged as personal safety (S1), on the day of ``opened_at``
    and with the flag as it is now. Behind it: those cases."""
    return m.count("safety")


# --- speed ----------------------------------------------------------------------------

@kpi("frt_median", _("First response time (median)"), unit="seconds", direction=AT_MOST,
     drill={"what": "first_response"}, empty_note=_("no first responses"), group="speed")
def frt_median(m: Totals) -> float | None:
    """Median time from opening a case to its first response to the customer, over the cases
    first answered in the period (on the day of ``first_response_at``); wall-clock time, not
    business hours. From the merged duration sketch (±1 %). Behind it: the cases first
    answered in the period."""
    return m.sketch("frt").quantile(0.5)


@kpi("frt_p90", _("First response time (90th percentile)"), unit="seconds", direction=AT_MOST,
     drill={"what": "first_response"}, empty_note=_("no first responses"), group="speed")
def frt_p90(m: Totals) -> float | None:
    """The time within which 90 % of the cases first answered in the period had their first
    response (day of ``first_response_at``; wall-clock; sketch ±1 %). Behind it: the cases
    first answered in the period."""
    return m.sketch("frt").quantile(0.9)


@kpi("res_median", _("Resolution time (median)"), unit="seconds", direction=AT_MOST,
     drill={"what": "closed"}, empty_note=_("no cases closed"), group="speed")
def res_median(m: Totals) -> float | None:
    """Median time from opening to closing, over the cases closed in the period (day of
    ``closed_at``; a reopened case counts from its first opening to its last close;
    wall-clock; sketch ±1 %). Behind it: the cases closed in the period."""
    return m.sketch("res").quantile(0.5)


@kpi("res_p90", _("Resolution time (90th percentile)"), unit="seconds", direction=AT_MOST,
     drill={"what": "closed"}, empty_note=_("no cases closed"), group="speed")
def res_p90(m: Totals) -> float | None:
    """The time within which 90 % of the cases closed in the period were closed, from opening
    (day of ``closed_at``; wall-clock; sketch ±1 %). Behind it: the cases closed in the
    period."""
    return m.sketch("res").quantile(0.9)


def _sla(kind: str) -> Callable[[Totals], float | None]:
    def attainment(m: Totals) -> float | None:
        met, breached = m.pair("sla", kind)
        return _ratio(met, met + breached)

    return attainment


_SLA_DOC = """Share of the {what} SLA clocks decided in the period that were met in time:
    met ÷ (met + breached) × 100. A clock counts on the day it was met, or, if it breached,
    once on the day it breached (met late is breached); running and cancelled clocks do not
    count. Behind it: the clocks' cases, breached ones with outcome=breached."""

for _kind, _label, _what in (
    ("first_response", _("SLA attainment: first response"), "first-response"),
    ("next_response", _("SLA attainment: next response"), "next-response"),
    ("stage", _("SLA attainment: time in stage"), "time-in-stage"),
    ("resolution", _("SLA attainment: resolution"), "resolution"),
):
    _fn = _sla(_kind)
    _fn.__doc__ = _SLA_DOC.format(what=_what)
    kpi(f"sla_{_kind}", _label, unit="percent", direction=AT_LEAST, drill={"what": "sla", "clock": _kind},
        empty_note=_("no clocks decided"), group="sla")(_fn)


# --- quality --------------------------------------------------------------------------

@kpi("reopen_rate", _("Reopen rate"), unit="percent", direction=AT_MOST, drill={"what": "reopened"},
     empty_note=_("no cases closed"), group="quality")
def reopen_rate(m: Totals) -> float | None:
    """Share of the cases closed in the period (day of ``closed_at``) that had been reopened
    at least once: reopened ÷ closed × 100. Behind it: the closed cases that were reopened."""
    return _ratio(m.count("reopened"), m.count("closed"))


@kpi("recurrence_rate", _("Recurrence rate"), unit="percent", direction=AT_MOST, drill={"what": "repeat"},
     empty_note=_("no cases opened"), group="quality")
def recurrence_rate(m: Totals) -> float | None:
    """Share of the cases opened in the period whose customer had another case opened in
    the 30 days before: repeat ÷ opened × 100 (day of ``opened_at``). Behind it: the repeat
    cases."""
    return _ratio(m.count("repeat"), m.count("opened"))


@kpi("overrides", _("Overrides"), unit="count", direction=AT_MOST, drill={"what": "overrides"}, group="quality")
def overrides(m: Totals) -> float | None:
    """Break-glass transitions past failed guards recorded in the period (day of
    ``Override.at``), filed under the overridden case's branch, department and channel.
    Behind it: the cases overridden in the period."""
    return m.count("overrides")


def _stage(stage: str) -> Callable[[Totals], float | None]:
    def mean_time(m: Totals) -> float | None:
        seconds, n = m.pair("stage", stage)
        return None if not n else seconds / n

    return mean_time


_STAGE_DOC = """Mean time the cases closed in the period (day of ``closed_at``) spent in {stage},
    from the case's stage timestamps (entering {stage} to entering the next stage it
    reached); wall-clock. Behind it: the cases closed in the period."""

for _stage_code, _stage_label in (
    ("intake", _("Time in intake (mean)")),
    ("investigation", _("Time in investigation (mean)")),
    ("response", _("Time in response (mean)")),
    ("qa", _("Time in QA (mean)")),
):
    assert _stage_code in STAGES
    _fn = _stage(_stage_code)
    _fn.__doc__ = _STAGE_DOC.format(stage=_stage_code)
    kpi(f"stage_{_stage_code}", _stage_label, unit="seconds", direction=AT_MOST, drill={"what": "closed"},
        empty_note=_("no cases closed"), group="stages")(_fn)


# --- the customer's view ---------------------------------------------------------------

@kpi("csat", _("CSAT (mean, 1–5)"), unit="score", direction=AT_LEAST, drill={"what": "answers", "score": "csat"},
     empty_note=_("no answers yet"), group="surveys")
def csat(m: Totals) -> float | None:
    """Mean CSAT score (1–5) of the survey answers given in the period (day of
    ``Answer.answered_at``), filed under the answered case's branch, department and channel.
    Behind it: the cases with a CSAT answer in the period."""
    total, n, _satisfied = m.vector("csat", 3)
    return None if not n else total / n


@kpi("csat_satisfied", _("Satisfied customers (CSAT 4–5)"), unit="percent", direction=AT_LEAST,
     drill={"what": "answers", "score": "satisfied"}, empty_note=_("no answers yet"), group="surveys")
def csat_satisfied(m: Totals) -> float | None:
    """Share of the CSAT answers given in the period scoring 4 or 5: satisfied ÷ answers × 100
    (day of ``Answer.answered_at``). Behind it: the cases answered with 4 or 5."""
    _total, n, satisfied = m.vector("csat", 3)
    return _ratio(satisfied, n)


@kpi("nps", _("NPS"), unit="score", direction=AT_LEAST, drill={"what": "answers", "score": "nps"},
     empty_note=_("no answers yet"), group="surveys")
def nps(m: Totals) -> float | None:
    """Net promoter score of the NPS answers given in the period (day of
    ``Answer.answered_at``): % promoters (9–10) − % detractors (0–6), from −100 to +100.
    Behind it: the cases with an NPS answer in the period."""
    promoters, passives, detractors = m.vector("nps", 3)
    n = promoters + passives + detractors
    return None if not n else 100.0 * (promoters - detractors) / n


# --- the backlog (live) ------------------------------------------------------------------

@kpi("backlog", _("Open cases (backlog)"), unit="count", direction=AT_MOST, drill={"what": "backlog"},
     live=True, group="backlog")
def backlog(b: Mapping[str, int]) -> float | None:
    """Cases open now (any stage but closed), whatever the period: read live from the open
    cases, never rolled up. Behind it: the open cases, oldest first."""
    return sum(b.values())


_AGE_DOC = """Cases open now that were opened {span} ago (live, whatever the period).
    Behind it: those open cases, oldest first."""

for _age, _age_label, _span in (
    ("lt1d", _("Open less than 1 day"), "less than 1 day"),
    ("1_3d", _("Open 1–3 days"), "1 to 3 days"),
    ("3_7d", _("Open 3–7 days"), "3 to 7 days"),
    ("gt7d", _("Open more than 7 days"), "more than 7 days"),
):
    def _bucket(b: Mapping[str, int], age: str = _age) -> float | None:
        return b.get(age, 0)

    _bucket.__doc__ = _AGE_DOC.format(span=_span)
    kpi(f"backlog_{_age}", _age_label, unit="count", direction=AT_MOST, drill={"what": "backlog", "age": _age},
        live=True, group="backlog")(_bucket)
