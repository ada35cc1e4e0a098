"""Is this many complaints in an hour a spike? The statistical test, as pure functions.

The test (and why this one)
---------------------------
Complaints arrive as counts in a window — a handful an hour per category or branch, often
zero — so they are modelled as Poisson, the textbook model of independent arrivals, and a
window is a spike when seeing *at least* this many would be very unlikely at the usual rate:

    p = P(X ≥ observed | X ~ Poisson(λ))

λ, the usual rate, is seasonal: the mean count of the *same hour of the week* over the
previous weeks (``detection`` counts them), because a restaurant's lunch hour on a Friday
is nothing like 3 a.m. on a Tuesday. Listening tools compare mentions with a baseline in the
same spirit (Meltwater: against "a much longer previous period", then a confidence test;
Socialmetrix: the 7-day average plus k standard deviations, warning itself that noon and
midnight differ — which a seasonal baseline fixes rather than tolerates).

Three guards keep noise from paging executives:

* λ is floored (``LAMBDA_FLOOR`` per hour): an hour that was empty eight weeks running does
  not make one or two complaints "infinitely unlikely";
* λ is taken one standard error above the baseline mean (the mean of N weekly counts has
  standard error √(mean/N)), so a baseline that came out low by chance does not fire;
* besides p ≤ ``ALPHA``, a spike needs at least ``MIN_COUNT`` complaints and at least
  ``MIN_RATIO`` times the usual count.

``ALPHA`` is small (1e-5) because the radar tests about forty keys every minute: at that
level a steady stream (simulated in the tests over weeks, with daily and weekly seasonality)
raises no alarm, while 7 complaints in an hour where there are usually none, 15 where there
are usually 3, or 45 where there are usually 20, do. (At 1e-4, a simulation of steady Poisson
streams gave up to 6e-5 false alarms per test — with about 7,000 hourly tests a week,
some two a month: too many for executives.)

Why not EWMA with a k·σ band: at a few complaints an hour the counts are far from normal
(σ of a near-empty hour is ~0, so one complaint is "many sigmas"), and an EWMA follows the
day's rhythm only after a lag — it would learn lunch every day. The seasonal Poisson test
needs no warm-up beyond a week of history and its p-value reads the same for a quiet branch
and a busy one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

LAMBDA_FLOOR = 0.5  # complaints per hour
MIN_COUNT = 5
MIN_RATIO = 2.0
ALPHA = 1e-5


@dataclass(frozen=True)
class Verdict:
    observed: int
    baseline: float  # the mean of the past windows (what people read as "usually")
    expected: float  # λ used by the test (floored, one standard error up)
    p_value: float
    z_score: float
    is_spike: bool


def poisson_tail(observed: int, lam: float) -> float:
    """P(X ≥ observed) for X ~ Poisson(lam), summed from ``observed`` upward so a tiny
    probability is not lost to 1 − (almost 1)."""
    if observed <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_lam = math.log(lam)
    total = 0.0
    k = observed
    while True:
        term = math.exp(-lam + k * log_lam - math.lgamma(k + 1))
        total += term
        if (k > lam and term <= total * 1e-12) or k - observed > 100_000:
            break
        k += 1
    return min(1.0, total)


def test(
    observed: int,
    past_counts_total: int,
    weeks: int,
    *,
    hours: float = 1.0,
    floor: float = LAMBDA_FLOOR,
    min_count: int = MIN_COUNT,
    min_ratio: float = MIN_RATIO,
    alpha: float = ALPHA,
) -> Verdict:
    """Judge ``observed`` complaints in a window against ``past_counts_total`` complaints in
    the same window of each of the previous ``weeks`` weeks. ``hours`` is the window's length
    (the floor is per hour)."""
    mean = past_counts_total / weeks if weeks > 0 else 0.0
    standard_error = math.sqrt(mean / weeks) if weeks > 0 else 0.0
    expected = max(floor * hours, mean + standard_error)
    p_value = poisson_tail(observed, expected)
    z_score = (observed - expected) / math.sqrt(expected)
    is_spike = (
        weeks > 0
        and observed >= min_count
        and observed >= min_ratio * expected
        and p_value <= alpha
    )
    return Verdict(observed, mean, expected, p_value, z_score, is_spike)
