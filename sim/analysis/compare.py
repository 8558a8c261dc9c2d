"""What-if comparisons with common random numbers: run i of every scenario uses the same seed, so
each run of a what-if is paired with the baseline run that shares its luck.

Every outcome that differs between the two gets the registry's statistic (``sim.analysis.outcomes``)
in each scenario — the median for numbers, the share of runs for yes/no outcomes and for each
category — and the difference B − A of that statistic with its 95 % bootstrap interval. The
bootstrap resamples runs in pairs (run i of both scenarios together; ``scipy.stats.bootstrap``,
``paired=True``, percentile method), so the luck they share cancels out of the interval. Outcomes
with an observed figure in the baseline scenario show it (reported / revised) beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis import observed
from sim.analysis.outcomes import (
    as_numbers,
    censored,
    censoring_notes,
    central,
    outcome_columns,
    outcome_of,
    percent,
    reducer,
    show,
)
from sim.scenario.schema import Scenario

RESAMPLES = 2000
SHARE_UNIT = "% of runs"


@dataclass(frozen=True)
class Row:
    outcome: str  # the column, or "column = category"
    column: str
    unit: str
    statistic: str  # "median" or "share"
    values: tuple[float, float]  # the statistic in A (baseline) and B (what-if)
    difference: float  # B − A
    low: float
    high: float
    censored: tuple[float, float] | None  # share of censored runs in A and B
    observed: str = ""  # the baseline scenario's observed figure: reported (/ revised), if any


def paired_difference(a: np.ndarray, b: np.ndarray, column: str, seed: int) -> tuple[float, float, float]:
    """The statistic of ``b`` minus that of ``a`` (runs paired by position; pairs with a NaN left
    out) and its paired bootstrap 95 % interval."""
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size == 0:
        return np.nan, np.nan, np.nan
    stat = reducer(column)
    diff = float(stat(b) - stat(a))
    if a.size < 2 or (np.ptp(a) == 0 and np.ptp(b) == 0):  # no spread: nothing to resample
        return diff, diff, diff
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: stat(y, axis=axis) - stat(x, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return diff, float(res.confidence_interval.low), float(res.confidence_interval.high)


def numeric_columns(scenario: Scenario, frames: list[pd.DataFrame]) -> list[str]:
    """Numeric outcomes that vary in any of the frames."""
    cols = [c for c in outcome_columns(scenario) if outcome_of(c).numeric]
    return [c for c in cols if any(f[c].astype(float).nunique() > 1 for f in frames)]


def share_series(scenario: Scenario, frames: list[pd.DataFrame]) -> dict[tuple[str, str], list[np.ndarray]]:
    """Yes/no indicators per run, by (column, row name): every yes/no outcome, and each category
    seen in any frame of a categorical outcome that is not one constant throughout."""
    out = {}
    for col in outcome_columns(scenario):
        kind = outcome_of(col).kind
        if kind == "boolean":
            out[col, col] = [as_numbers(f, col, scenario).to_numpy() for f in frames]
        elif kind == "category" and pd.concat([f[col] for f in frames]).nunique() > 1:
            for value in sorted(set().union(*(f[col].dropna() for f in frames))):
                out[col, f"{col} = {value}"] = [f[col].eq(value).to_numpy(float) for f in frames]
    return out


def compare(scenario: Scenario, frames: list[pd.DataFrame], seed: int = 0) -> list[list[Row]]:
    """Rows comparing each later frame (B) with the first (A), one list of rows per what-if."""
    base = frames[0]
    out = []
    for other in frames[1:]:
        rows = []
        for col in numeric_columns(scenario, [base, other]):
            a, b = (as_numbers(f, col, scenario).to_numpy() for f in (base, other))
            cut = None
            if outcome_of(col).censoring:
                cut = (
                    float(censored(base, col, scenario).mean()),
                    float(censored(other, col, scenario).mean()),
                )
            mid = (central(a, col), central(b, col))
            rows.append(
                Row(
                    col,
                    col,
                    outcome_of(col).unit,
                    "median",
                    mid,
                    *paired_difference(a, b, col, seed),
                    cut,
                    observed_text(scenario, col),
                )
            )
        for (col, name), (a, b) in share_series(scenario, [base, other]).items():
            rows.append(
                Row(
                    name,
                    col,
                    SHARE_UNIT,
                    "share",
                    (a.mean(), b.mean()),
                    *paired_difference(a, b, col, seed),
                    None,
                )
            )
        out.append(rows)
    return out


def observed_text(scenario: Scenario, column: str) -> str:
    """The scenario's observed figure for a column, ``reported / revised``; empty if none."""
    obs = scenario.observed.get(column)
    if obs is None:
        return ""
    revised = f" / {observed.show(obs.revised)}" if obs.revised is not None else ""
    return (observed.show(obs.reported) or "–") + revised


def _table(rows: list[Row], head: list[str], cells) -> list[str]:
    """Rows as text columns under ``head``: outcome and unit left-aligned, figures right-aligned."""
    body = [cells(r) for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    return [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in (head, *body)
    ]


def format_rows(names: list[str], rows: list[Row]) -> str:
    """Labelled columns: median (or share) in A and in B, and B − A with its 95 % interval."""
    lines = [
        f"{names[1]} (B) against {names[0]} (A): runs paired by seed; B − A with its paired bootstrap 95 % CI"
    ]
    medians = [r for r in rows if r.statistic == "median"]
    shares = [r for r in rows if r.statistic == "share"]
    if medians:
        lines += [
            "",
            *_table(
                medians,
                ["outcome", "unit", "median A", "median B", "B − A [95 % CI]", "censored A, B"],
                lambda r: [
                    r.outcome,
                    r.unit,
                    show(r.values[0], r.column),
                    show(r.values[1], r.column),
                    f"{r.difference:+,.1f} [{r.low:+,.1f}, {r.high:+,.1f}]",
                    ", ".join(map(percent, r.censored)) if r.censored else "",
                ],
            ),
        ]
    if shares:
        lines += [
            "",
            *_table(
                shares,
                ["outcome", "unit", "share A", "share B", "B − A [95 % CI] (points)"],
                lambda r: [
                    r.outcome,
                    r.unit,
                    percent(r.values[0]),
                    percent(r.values[1]),
                    f"{100 * r.difference:+.1f} [{100 * r.low:+.1f}, {100 * r.high:+.1f}]",
                ],
            ),
        ]
    lines += [f"censored: {note}" for note in censoring_notes(r.column for r in medians if r.censored)]
    seen = [f"{r.outcome} {r.observed}" for r in medians if r.observed]
    if seen:
        lines.append(f"observed in {names[0]} (reported / revised): " + "; ".join(seen))
    return "\n".join(lines)


def rows_frame(names: list[str], rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "outcome": r.outcome,
                "column": r.column,
                "unit": r.unit,
                "statistic": r.statistic,
                "baseline": names[0],
                "what_if": names[1],
                "baseline_value": r.values[0],
                "what_if_value": r.values[1],
                "paired_difference": r.difference,
                "ci_low": r.low,
                "ci_high": r.high,
                "baseline_censored": r.censored[0] if r.censored else np.nan,
                "what_if_censored": r.censored[1] if r.censored else np.nan,
                "observed": r.observed,
            }
            for r in rows
        ]
    )
