"""A mergeable sketch of durations: quantiles of any period from the sketches of its days.

A median cannot be added up day by day, but a histogram can. Durations (seconds) fall into
log-spaced buckets ``gamma**(i-1) < x <= gamma**i`` with ``gamma = 1.02``, so a quantile read
back is within about 1 % of the true value whatever its size (the DDSketch idea). A day's
sketch is a small JSON dict stored in ``DayFacts.measures``; merging is adding counts.

Stored shape: ``{"n": count, "z": count of durations under a second, "b": {"index": count}}``.
Pure functions and a small class; never touches the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

GAMMA = 1.02
LOG_GAMMA = math.log(GAMMA)
# Shorter than this counts as zero: the clocks are recorded to the second.
MIN_SECONDS = 1.0
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)


def _index(seconds: float) -> int:
    return math.ceil(math.log(seconds) / LOG_GAMMA)


def _value(index: int) -> float:
    # The point of the bucket (gamma**(i-1), gamma**i] with the least relative error.
    return 2 * GAMMA**index / (GAMMA + 1)


class Sketch:
    __slots__ = ("buckets", "count", "zeros")

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.count = 0
        self.zeros = 0
        self.buckets: dict[int, int] = {}
        if data:
            self.merge(data)

    @classmethod
    def of(cls, values: Iterable[float]) -> Sketch:
        sketch = cls()
        for value in values:
            sketch.add(value)
        return sketch

    def add(self, seconds: float, times: int = 1) -> None:
        if seconds != seconds:  # NaN: a missing duration is not a duration
            return
        self.count += times
        if seconds < MIN_SECONDS:
            self.zeros += times
            return
        i = _index(seconds)
        self.buckets[i] = self.buckets.get(i, 0) + times

    def merge(self, other: Sketch | Mapping[str, Any]) -> Sketch:
        """Add another sketch (or its stored dict) into this one; returns self."""
        if isinstance(other, Sketch):
            self.count += other.count
            self.zeros += other.zeros
            for i, n in other.buckets.items():
                self.buckets[i] = self.buckets.get(i, 0) + n
            return self
        self.count += int(other.get("n", 0))
        self.zeros += int(other.get("z", 0))
        for key, n in (other.get("b") or {}).items():
            i = int(key)
            self.buckets[i] = self.buckets.get(i, 0) + int(n)
        return self

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"n": self.count}
        if self.zeros:
            data["z"] = self.zeros
        if self.buckets:
            data["b"] = {str(i): n for i, n in sorted(self.buckets.items())}
        return data

    def _at_rank(self, rank: int) -> float:
        """The estimated value of the rank-th smallest duration (0-based)."""
        if rank < self.zeros:
            return 0.0
        seen = self.zeros
        for i in sorted(self.buckets):
            seen += self.buckets[i]
            if seen > rank:
                return _value(i)
        return _value(max(self.buckets))

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0–1), interpolated between ranks like a spreadsheet's PERCENTILE;
        None for an empty sketch."""
        if not 0 <= q <= 1:
            raise ValueError("q must be between 0 and 1")
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        low = math.floor(rank)
        lower = self._at_rank(low)
        if rank == low:
            return lower
        upper = self._at_rank(low + 1)
        return lower + (rank - low) * (upper - lower)

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return f"Sketch(n={self.count})"


def merged(dicts: Iterable[Mapping[str, Any] | None]) -> Sketch:
    sketch = Sketch()
    for data in dicts:
        if data:
            sketch.merge(data)
    return sketch
