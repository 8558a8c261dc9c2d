"""Observed values and how an ensemble is matched against them.

An observable is named by its key in a scenario's ``[observed]`` table:

* an outcome column, e.g. ``military_deaths.<STATE>`` or ``ceasefire_broker``;
* a sum of numeric columns joined by ``+``, for sources that give only totals, e.g.
  ``military_deaths.A+civilian_deaths.A``;
* a derived observable: ``deaths.<STATE>`` = ``military_deaths.<STATE>+civilian_deaths.<STATE>``
  (derived names may appear inside sums too: ``deaths.A+deaths.B``).

An observable whose column the model does not produce (yet) is *not modelled*: it is listed, never
an error, so a scenario can state facts the model cannot yet reproduce.

Matching, for one ensemble and one observed figure:

* a number or a ``[low, high]`` range matches when it overlaps the ensemble's 5–95 % interval;
* a category matches when it is the modal category of the runs (a list of categories: when the
  modal category is one of them); ``true``/``false`` likewise match the modal answer, where a count
  (``deep_strikes.<STATE>``) is read as "any" (> 0).

The ratio median/observed compares a number with the ensemble's median; for a range, with the
range's geometric mean (ratios are multiplicative), or its midpoint when the range starts at 0. It
is undefined (NaN) when the observed figure is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.outcomes import as_numbers, outcome_of
from sim.scenario.schema import Scenario

DERIVED = {"deaths": ("military_deaths", "civilian_deaths")}
QUANTILES = (5, 50, 95)
WITHIN = 3.0  # a median "within a factor of 3" of the observed figure


def columns_of(key: str) -> list[str]:
    """The outcome columns an observable sums (one for a plain column)."""
    cols = []
    for term in key.split("+"):
        measure, dot, who = term.strip().partition(".")
        cols += [f"{m}{dot}{who}" for m in DERIVED.get(measure, (measure,))]
    return cols


def _as_labels(column: str) -> bool:
    """Whether an outcome is read as labels (categories, yes/no) rather than numbers."""
    outcome = outcome_of(column)
    return outcome is not None and outcome.kind in ("category", "boolean")


def values_of(frame: pd.DataFrame, key: str, scenario: Scenario) -> pd.Series | None:
    """The observable's value in each run (floats for numbers, strings for categories, booleans
    for yes/no outcomes), or None if the model does not produce one of its columns."""
    cols = columns_of(key)
    if any(c not in frame for c in cols):
        return None
    if len(cols) == 1 and _as_labels(cols[0]):
        return frame[cols[0]]
    return sum(as_numbers(frame, c, scenario) for c in cols).rename(key)


@dataclass(frozen=True)
class Distribution:
    """What an ensemble says of one observable."""

    kind: str  # "numeric", "categorical" or "binary" (categories "yes" and "no")
    low: float = math.nan  # 5 % quantile (numeric)
    median: float = math.nan
    high: float = math.nan  # 95 % quantile
    missing: float = 0.0  # share of runs without a value (numeric)
    shares: tuple[tuple[str, float], ...] = ()  # categories by share, largest first

    @property
    def modal(self) -> str | None:
        return self.shares[0][0] if self.shares else None

    def text(self) -> str:
        if self.kind == "binary":
            return f"{dict(self.shares).get('yes', 0.0):.0%} of runs"
        if self.kind == "categorical":
            return f"{self.shares[0][0]} ({self.shares[0][1]:.0%})" if self.shares else "no runs"
        if math.isnan(self.median):
            return "never (all runs)"
        text = f"{self.median:,.1f} [{self.low:,.1f}, {self.high:,.1f}]"
        return text + (f"; none in {self.missing:.0%}" if self.missing else "")


def _shares(labels: pd.Series) -> tuple[tuple[str, float], ...]:
    counts = labels.astype(str).value_counts(normalize=True, sort=False)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))  # ties broken by name: stable
    return tuple((k, float(v)) for k, v in ranked)


def yes_no(values: pd.Series) -> pd.Series:
    """A yes/no reading of an outcome: booleans as they are, counts as "any" (> 0)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(bool).map({True: "yes", False: "no"})
    return values.astype(float).gt(0).map({True: "yes", False: "no"})


def distribution(values: pd.Series, observed: object = None) -> Distribution:
    """Summarise an observable's runs; a yes/no figure reads a count as "any"."""
    if isinstance(observed, bool) or pd.api.types.is_bool_dtype(values):
        return Distribution("binary", shares=_shares(yes_no(values.dropna())))
    if not pd.api.types.is_numeric_dtype(values):
        return Distribution("categorical", shares=_shares(values.dropna()))
    v = values.astype(float)
    finite = v.dropna().to_numpy()
    missing = float(v.isna().mean()) if len(v) else 0.0
    if finite.size == 0:
        return Distribution("numeric", missing=missing)
    low, median, high = np.percentile(finite, QUANTILES)
    return Distribution("numeric", float(low), float(median), float(high), missing)


def is_range(observed: object) -> bool:
    return (
        isinstance(observed, tuple)
        and len(observed) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in observed)
    )


def is_number(observed: object) -> bool:
    return isinstance(observed, (int, float)) and not isinstance(observed, bool)


def overlaps(dist: Distribution, observed: object) -> bool | None:
    """Whether the observed figure matches the ensemble (see module doc); None when it cannot be
    compared (no figure, no runs with a value, or a figure of another kind than the outcome)."""
    if observed is None:
        return None
    if isinstance(observed, bool):
        return (
            None if dist.kind != "binary" or not dist.shares else dist.modal == ("yes" if observed else "no")
        )
    if isinstance(observed, str) or (isinstance(observed, tuple) and not is_range(observed)):
        if dist.kind != "categorical" or not dist.shares:
            return None
        wanted = {observed} if isinstance(observed, str) else set(observed)
        return dist.modal in wanted
    if dist.kind != "numeric" or math.isnan(dist.median):
        return None
    low, high = (float(observed[0]), float(observed[1])) if is_range(observed) else (float(observed),) * 2
    return bool(low <= dist.high and dist.low <= high)


def point(observed: object) -> tuple[float, str]:
    """The single number a ratio compares with, and how it was read from the figure."""
    if is_number(observed):
        return float(observed), "value"
    if is_range(observed):
        low, high = float(observed[0]), float(observed[1])
        if math.isinf(high):
            return low, "lower bound (a median above it reads 1)"
        if low > 0:
            return math.sqrt(low * high), "geometric mean of range"
        return (low + high) / 2, "midpoint of range"
    return math.nan, ""


def ratio(dist: Distribution, observed: object) -> float:
    """Ensemble median / observed figure (NaN if not numeric or the figure is 0)."""
    value, _ = point(observed)
    if dist.kind != "numeric" or not value or math.isnan(value):
        return math.nan
    if is_range(observed) and math.isinf(float(observed[1])):  # "more than": any median above agrees
        return min(dist.median / value, 1.0)
    return dist.median / value


def within_factor(r: float, factor: float = WITHIN) -> bool | None:
    """Whether a ratio is within a factor of ``factor`` either way (None if undefined)."""
    if math.isnan(r):
        return None
    return 1 / factor <= r <= factor


def show(value: object) -> str:
    """An observed figure as text: 1,234; 59–63; yes/no; a category; "USA or tacit"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if is_range(value):
        if math.isinf(float(value[1])):
            return f"> {show(value[0])}"
        return f"{show(value[0])}–{show(value[1])}"
    if isinstance(value, tuple):
        return " or ".join(value)
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value)
