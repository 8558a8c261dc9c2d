"""What-if comparisons with common random numbers: run i of every scenario uses the same seed, so
each run of a what-if is paired with the baseline run that shares its luck.

For every numeric outcome: each scenario's median, the mean paired difference (what-if − baseline)
and its bootstrap 95 % interval (``scipy.stats.bootstrap``, percentile method, over runs). For binary
events (full war; a ceasefire within 72 h; each alliance sending military aid): each scenario's
probability and the paired shift in probability, with its bootstrap interval. Outcomes with an
observed figure in the baseline show it beside them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.observed import show
from sim.analysis.outcomes import CENSORING_NOTE, as_numbers, kind
from sim.scenario.schema import Scenario

RESAMPLES = 2000


@dataclass(frozen=True)
class Row:
    outcome: str
    values: list[float]  # median (numeric) or probability (binary), per scenario
    difference: float  # mean paired difference of the last scenario against the first
    low: float
    high: float
    binary: bool
    observed: str = ""  # the baseline scenario's reported figure (revised after a slash), if any


def events(scenario: Scenario) -> dict[str, Callable[[pd.DataFrame], pd.Series]]:
    """Binary events worth a probability, named in words."""
    out = {
        "full war": lambda d: d["full_war"].astype(bool),
        "ceasefire within 72 h": lambda d: d["ceasefire_hour"].le(72).fillna(False).astype(bool),
    }
    for aid in scenario.alliances:
        out[f"{aid} sends military aid"] = lambda d, a=aid: (
            d[f"alliance_response.{a}"].eq("military_aid").astype(bool)
        )
    return out


def numeric_columns(scenario: Scenario, frames: list[pd.DataFrame]) -> list[str]:
    cols = [c for c in frames[0].columns if kind(c) in ("Int64", "float64")]
    return [c for c in cols if any(f[c].astype(float).nunique() > 1 for f in frames)]


def paired_interval(diff: np.ndarray, seed: int) -> tuple[float, float, float]:
    """Mean of paired differences and its bootstrap 95 % interval."""
    diff = diff[np.isfinite(diff)]
    if diff.size == 0:
        return np.nan, np.nan, np.nan
    if diff.size < 2 or np.all(diff == diff[0]):
        return float(diff.mean()), float(diff.mean()), float(diff.mean())
    res = stats.bootstrap(
        (diff,), np.mean, n_resamples=RESAMPLES, method="percentile", rng=np.random.default_rng(seed)
    )
    return float(diff.mean()), float(res.confidence_interval.low), float(res.confidence_interval.high)


def compare(scenario: Scenario, frames: list[pd.DataFrame], seed: int = 0) -> list[list[Row]]:
    """Rows comparing each later frame with the first (one list of rows per what-if)."""
    base = frames[0]
    out = []
    for other in frames[1:]:
        rows = []
        for col in numeric_columns(scenario, [base, other]):
            a, b = (as_numbers(f, col, scenario).to_numpy() for f in (base, other))
            mean, lo, hi = paired_interval(b - a, seed)
            rows.append(
                Row(
                    col,
                    [float(np.median(a)), float(np.median(b))],
                    mean,
                    lo,
                    hi,
                    False,
                    observed_text(scenario, col),
                )
            )
        for name, test in events(scenario).items():
            a, b = test(base).to_numpy(float), test(other).to_numpy(float)
            mean, lo, hi = paired_interval(b - a, seed)
            rows.append(Row(name, [a.mean(), b.mean()], mean, lo, hi, True))
        out.append(rows)
    return out


def observed_text(scenario: Scenario, column: str) -> str:
    obs = scenario.observed.get(column)
    if obs is None:
        return ""
    revised = f" / {show(obs.revised)}" if obs.revised is not None else ""
    return (show(obs.reported) or "–") + revised


def format_rows(names: list[str], rows: list[Row]) -> str:
    width = max(len(r.outcome) for r in rows)
    obs_w = max(8, *(len(r.observed) for r in rows))
    head = (
        f"{'outcome':<{width}}  {names[0]:>14}  {names[1]:>14}  {'difference [95 % CI]':>30}  "
        f"{'observed (reported / revised)':>{obs_w}}"
    )
    lines = [f"{names[1]} against {names[0]} (paired by seed)", head]
    for r in rows:
        if r.binary:
            vals = [f"{v:.1%}" for v in r.values]
            diff = f"{r.difference:+.1%} [{r.low:+.1%}, {r.high:+.1%}]"
        else:
            vals = [f"{v:,.1f}" for v in r.values]
            diff = f"{r.difference:+,.1f} [{r.low:+,.1f}, {r.high:+,.1f}]"
        lines.append(f"{r.outcome:<{width}}  {vals[0]:>14}  {vals[1]:>14}  {diff:>30}  {r.observed:>{obs_w}}")
    if any(r.outcome == "ceasefire_hour" for r in rows):
        lines.append(f"({CENSORING_NOTE})")
    return "\n".join(lines)


def rows_frame(names: list[str], rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "outcome": r.outcome,
                "baseline": names[0],
                "what_if": names[1],
                "baseline_value": r.values[0],
                "what_if_value": r.values[1],
                "statistic": "probability" if r.binary else "median",
                "paired_difference": r.difference,
                "ci_low": r.low,
                "ci_high": r.high,
                "observed": r.observed,
            }
            for r in rows
        ]
    )
