"""What a crisis reports, as the calibration uses it: one entry per observable of its ``[observed]``
table, in the chosen set (a revised figure, where there is none, falls back to the reported one).

Reading and summing outcome columns is ``sim.analysis.observed``'s job (``columns_of``,
``values_of``); this module only picks the figure and normalises its form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.analysis.observed import columns_of
from sim.scenario.schema import Scenario

Which = Literal["reported", "revised"]
Value = tuple[float, float] | str | frozenset[str] | bool


@dataclass(frozen=True)
class Observation:
    """One observable: its key (an outcome column, a sum, a derived name) and the figure.

    ``value`` is a ``(low, high)`` interval for numbers (equal ends for a point), a category, a set
    of acceptable categories, or a yes/no.
    """

    crisis: str
    column: str
    value: Value

    @property
    def columns(self) -> list[str]:
        return columns_of(self.column)

    @property
    def key(self) -> str:
        return f"{self.crisis}:{self.column}"

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, tuple)


def as_value(raw) -> Value:
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, list | tuple):
        if all(isinstance(v, str) for v in raw):
            return frozenset(raw)
        low, high = (float(v) for v in raw)
        return (min(low, high), max(low, high))
    return (float(raw), float(raw))


def observed(scenario: Scenario, which: Which = "reported") -> list[Observation]:
    found = []
    for key, entry in scenario.observed.items():
        raw = entry.revised if which == "revised" and entry.revised is not None else entry.reported
        if raw is not None:
            found.append(Observation(scenario.name, key, as_value(raw)))
    return found
