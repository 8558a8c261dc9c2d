"""What a crisis reports, read from its scenario: one entry per observable outcome column.

The only reader of observed figures in this package. It understands the ``[observed]`` table
(``reported``/``revised`` values: a number, a ``[low, high]`` range, a category or a boolean) and,
until every scenario has one, the older ``[targets.reported|revised]`` tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.scenario.schema import Scenario

Which = Literal["reported", "revised"]


@dataclass(frozen=True)
class Observation:
    """One observable: the outcome column(s) it sums, and the reported value.

    ``value`` is a ``(low, high)`` interval for numbers (equal ends for a point), or a category
    (str) or a boolean.
    """

    crisis: str
    column: str  # as written: one outcome column, or several joined by "+" (their sum)
    value: tuple[float, float] | str | bool

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.column.split("+"))

    @property
    def key(self) -> str:
        return f"{self.crisis}:{self.column}"

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, tuple)


def as_value(raw) -> tuple[float, float] | str | bool:
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, list | tuple):
        low, high = (float(v) for v in raw)
        return (min(low, high), max(low, high))
    return (float(raw), float(raw))


def observed(scenario: Scenario, which: Which = "reported") -> list[Observation]:
    """The scenario's observations of the given set; a revised figure falls back to the reported one."""
    table = getattr(scenario, "observed", None)
    if table is not None:
        found = []
        for column, entry in table.items():
            raw = getattr(entry, "revised", None) if which == "revised" else None
            found.append(Observation(scenario.name, column, as_value(entry.reported if raw is None else raw)))
        return found
    targets = dict(scenario.targets.get("reported", {}))
    if which == "revised":
        targets |= scenario.targets.get("revised", {})
    return [Observation(scenario.name, column, as_value(t.value)) for column, t in targets.items()]
