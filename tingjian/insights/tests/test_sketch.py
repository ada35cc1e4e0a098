"""The duration sketch: quantiles within 1 % of the exact ones, whatever the split into days."""

from __future__ import annotations

import random
import statistics

import pytest

from tingjian.insights.sketch import Sketch, merged


def exact(values: list[float], q: float) -> float:
    """Linear-interpolation percentile, as a spreadsheet computes it."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9, 0.99])
def test_quantiles_are_within_one_percent_of_exact(q: float) -> None:
    rng = random.Random(6)
    values = [rng.lognormvariate(7, 1.5) + 1 for _ in range(5000)]
    assert Sketch.of(values).quantile(q) == pytest.approx(exact(values, q), rel=0.01)


def test_median_of_a_short_list() -> None:
    assert Sketch.of([60, 120, 600]).quantile(0.5) == pytest.approx(120, rel=0.01)
    assert Sketch.of([60, 120]).quantile(0.5) == pytest.approx(90, rel=0.01)


def test_merged_days_give_the_quantiles_of_the_whole_period() -> None:
    rng = random.Random(7)
    days = [[rng.uniform(30, 90000) for _ in range(rng.randint(0, 40))] for _ in range(30)]
    whole = [v for day in days for v in day]
    combined = merged(Sketch.of(day).to_dict() for day in days)
    assert combined.count == len(whole)
    assert combined.quantile(0.5) == pytest.approx(statistics.median(whole), rel=0.01)
    assert combined.quantile(0.9) == pytest.approx(exact(whole, 0.9), rel=0.01)


def test_an_empty_sketch_has_no_quantile() -> None:
    assert Sketch().quantile(0.5) is None
    assert merged([None, {}]).quantile(0.9) is None


def test_durations_under_a_second_count_as_zero() -> None:
    sketch = Sketch.of([0, 0.4, 10])
    assert sketch.count == 3
    assert sketch.quantile(0) == 0
    assert sketch.quantile(1) == pytest.approx(10, rel=0.01)


def test_the_stored_form_is_small_json() -> None:
    data = Sketch.of([5, 5, 6, 3600]).to_dict()
    assert data["n"] == 4
    assert all(isinstance(k, str) for k in data["b"])
    assert Sketch(data).quantile(1) == pytest.approx(3600, rel=0.01)


def test_a_quantile_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Sketch.of([1]).quantile(1.5)
