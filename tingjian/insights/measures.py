"""The additive measures one ``DayFacts`` row holds, and how rows add up into a period.

Every measure is additive, so a period (or a coarser grouping) is the element-wise sum of
its rows: numbers add, lists add position by position, dicts add key by key (duration
sketches are dicts of counts, so they merge the same way). Keys, and the local day each
event counts on (settings.TIME_ZONE):

==============  =====================================================  ==================
key             what                                                   counted on the day
==============  =====================================================  ==================
opened          cases opened                                           opened_at
safety          personal-safety cases opened                           opened_at
hours           [24] cases opened per local hour                       opened_at
cat/prod/rc     {id: n} cases opened per category / product / root     opened_at
                cause ("-1" = none recorded)
sev             {severity: n} cases opened per severity ("-1" = none)  opened_at
repeat          cases opened whose customer had another case opened    opened_at
                in the 30 days before
frt             sketch of seconds from opening to the first response   first_response_at
closed          cases closed                                           closed_at
res             sketch of seconds from opening to closing              closed_at
reopened        cases closed that had been reopened at least once      closed_at
stage           {stage: [seconds, n]} time spent in each stage by the  closed_at
                cases closed (intake, investigation, response, qa)
sla             {clock kind: [met, breached]} SLA clocks decided: met  met_at / breached_at
                in time, or breached (a clock met late counts once,
                as breached, on the day it breached)
overrides       break-glass overrides of the workflow's guards         Override.at
csat            [sum of scores, answers, answers scoring 4–5]          Answer.answered_at
nps             [promoters 9–10, passives 7–8, detractors 0–6]         Answer.answered_at
==============  =====================================================  ==================

An event is filed under the case's branch, department and channel as they are now (a case
moved to another department moves its history with it once its days are recomputed).
Pure code: never touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .sketch import Sketch

HOURS = 24
NO_VALUE = "-1"
STAGES = ("intake", "investigation", "response", "qa")
REPEAT_WITHIN_DAYS = 30


def add_into(target: dict[str, Any], source: Mapping[str, Any]) -> dict[str, Any]:
    """Add ``source`` into ``target`` in place (see the module docstring) and return it."""
    for key, value in source.items():
        if key not in target:
            target[key] = _copy(value)
            continue
        current = target[key]
        if isinstance(value, dict):
            add_into(current, value)
        elif isinstance(value, list):
            if len(current) < len(value):
                current.extend([0] * (len(value) - len(current)))
            for i, v in enumerate(value):
                current[i] += v
        else:
            target[key] = current + value
    return target


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return list(value)
    return value


def total(rows: Iterable[Mapping[str, Any]]) -> Totals:
    result = Totals()
    for row in rows:
        add_into(result, row)
    return result


class Totals(dict[str, Any]):
    """Summed measures with typed accessors; a missing key reads as zero / empty."""

    def count(self, key: str) -> int:
        return int(self.get(key, 0))

    def counts(self, key: str) -> dict[str, int]:
        return dict(self.get(key) or {})

    def sketch(self, key: str) -> Sketch:
        return Sketch(self.get(key))

    def pair(self, key: str, sub: str) -> tuple[float, float]:
        values = (self.get(key) or {}).get(sub) or [0, 0]
        return values[0], values[1]

    def vector(self, key: str, size: int) -> list[float]:
        values = list(self.get(key) or [])
        return values + [0] * (size - len(values))


class DayBuilder:
    """Collects one day's events into rows, one per (branch, department, channel) grouping.

    Events are first added to the "leaf" of their case's exact branch, department and
    channel; ``rows()`` then adds each leaf into the 8 groupings it belongs to: its branch or
    ALL, its department or ALL, its channel or ALL ("*"). NONE (-1) stands for an empty
    branch or department. Durations are kept as lists until ``rows()`` makes them sketches.
    """

    def __init__(self, all_value: int, none_value: int, all_channels: str) -> None:
        self._leaves: dict[tuple[int, int, str], dict[str, Any]] = {}
        self._durations: dict[tuple[int, int, str], dict[str, list[float]]] = {}
        self._all = all_value
        self._none = none_value
        self._all_channels = all_channels

    def _leaf_key(self, branch: int | None, department: int | None, channel: str) -> tuple[int, int, str]:
        return (
            self._none if branch is None else branch,
            self._none if department is None else department,
            channel or self._all_channels,
        )

    def groupings(self, branch: int | None, department: int | None, channel: str) -> list[dict[str, Any]]:
        """The (mutable) rows an event of this case adds to: its leaf."""
        return [self._leaves.setdefault(self._leaf_key(branch, department, channel), {})]

    def _expand(self, leaf: tuple[int, int, str]) -> list[tuple[int, int, str]]:
        b, d, c = leaf
        return [
            (bb, dd, cc) for bb in (b, self._all) for dd in (d, self._all)
            for cc in dict.fromkeys((c, self._all_channels))
        ]

    def count(self, rows: list[dict[str, Any]], key: str, n: float = 1) -> None:
        for row in rows:
            row[key] = row.get(key, 0) + n

    def count_in(self, rows: list[dict[str, Any]], key: str, sub: Any, n: float = 1) -> None:
        sub = NO_VALUE if sub is None else str(sub)
        for row in rows:
            inner = row.setdefault(key, {})
            inner[sub] = inner.get(sub, 0) + n

    def count_at(self, rows: list[dict[str, Any]], key: str, size: int, index: int, n: float = 1) -> None:
        for row in rows:
            vector = row.get(key)
            if vector is None:
                vector = row[key] = [0] * size
            vector[index] += n

    def pair_in(self, rows: list[dict[str, Any]], key: str, sub: str, first: float, second: float) -> None:
        for row in rows:
            inner = row.setdefault(key, {})
            pair = inner.get(sub)
            if pair is None:
                inner[sub] = [first, second]
            else:
                pair[0] += first
                pair[1] += second

    def duration(self, branch: int | None, department: int | None, channel: str, key: str, seconds: float) -> None:
        leaf = self._leaf_key(branch, department, channel)
        self._leaves.setdefault(leaf, {})
        self._durations.setdefault(leaf, {}).setdefault(key, []).append(seconds)

    def rows(self) -> dict[tuple[int, int, str], dict[str, Any]]:
        result: dict[tuple[int, int, str], dict[str, Any]] = {}
        durations: dict[tuple[int, int, str], dict[str, list[float]]] = {}
        for leaf, measures in self._leaves.items():
            leaf_durations = self._durations.get(leaf, {})
            for grouping in self._expand(leaf):
                add_into(result.setdefault(grouping, {}), measures)
                for key, values in leaf_durations.items():
                    durations.setdefault(grouping, {}).setdefault(key, []).extend(values)
        for grouping, by_key in durations.items():
            for key, values in by_key.items():
                result[grouping][key] = Sketch.of(values).to_dict()
        return result
