"""The few tail probabilities the diagnostics need, in plain Python (no SciPy import on a page).

Computed with log-gamma so large counts neither overflow nor lose the tiny tails that matter.
"""

from __future__ import annotations

import math


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def poisson_sf(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean): how surprising it is to see ``k`` or more."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    log_mean = math.log(mean)

    def log_pmf(i: int) -> float:
        return i * log_mean - mean - math.lgamma(i + 1)

    if k > mean:
        # Sum the upper tail directly: 1 − cdf would lose it to rounding.
        total, i = 0.0, k
        while True:
            term = math.exp(log_pmf(i))
            total += term
            if term < total * 1e-15 or i > k + 10_000:
                return min(1.0, total)
            i += 1
    lower = sum(math.exp(log_pmf(i)) for i in range(k))
    return max(0.0, 1.0 - lower)


def hypergeom_sf(k: int, population: int, successes: int, draws: int) -> float:
    """P(X ≥ k) when ``draws`` items are taken from ``population`` holding ``successes``:
    the chance that two causes share at least ``k`` weeks if they fell on weeks independently."""
    if k <= 0:
        return 1.0
    high = min(successes, draws)
    if k > high:
        return 0.0
    denominator = _log_choose(population, draws)
    total = 0.0
    for i in range(k, high + 1):
        if draws - i > population - successes:
            continue
        total += math.exp(_log_choose(successes, i) + _log_choose(population - successes, draws - i) - denominator)
    return min(1.0, total)
