"""Summaries of an ensemble: each outcome's statistic (from the outcome registry: median and 5–95 %
interval, share of runs, or modal category) beside the observed figures, reported and revised, each
matched separately (see sim/analysis/observed.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis import observed
from sim.analysis.outcomes import (
    as_numbers,
    censored,
    censoring_notes,
    headline,
    outcome_columns,
    outcome_of,
    percent,
    show,
)
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Line:
    outcome: str
    unit: str
    simulated: str  # "median [5 %, 95 %]", "modal (share)" or "share true"
    reported: str
    revised: str
    inside: bool | None  # reported figure matches the ensemble (None: no figure; see observed.py)
    inside_revised: bool | None = None  # the revised figure likewise


def relevant_columns(scenario: Scenario, frame: pd.DataFrame) -> list[str]:
    """Contract columns worth a line: those with an observed figure, and those that vary across runs."""
    return [
        col
        for col in outcome_columns(scenario)
        if col in scenario.observed or frame[col].nunique(dropna=False) > 1
    ]


def simulated_text(frame: pd.DataFrame, key: str, scenario: Scenario, values: pd.Series) -> str:
    """An observable's statistic as text: the registry's for an outcome column, else (a sum or a
    derived observable) its median and 5–95 % interval."""
    outcome = outcome_of(key) if key in frame else None
    if outcome is None:
        return observed.distribution(values).text()
    if outcome.kind == "category":
        return headline(frame, key, scenario)
    if outcome.kind == "boolean":
        return f"{headline(frame, key, scenario)} of runs"
    finite = as_numbers(frame, key, scenario).dropna()
    if finite.empty:
        return "n/a"
    lo, hi = np.percentile(finite, [5, 95])
    text = f"{headline(frame, key, scenario)} [{show(lo, key)}, {show(hi, key)}]"
    cut = censored(frame, key, scenario)
    return text + (f"; censored {percent(cut.mean())}" if cut.any() else "")


def summarise(scenario: Scenario, frame: pd.DataFrame) -> list[Line]:
    """A line per relevant column, then per observed sum or derived observable; observables the
    model does not produce are left out here (``format_summary`` names them)."""
    keys = relevant_columns(scenario, frame)
    keys += [k for k in scenario.observed if k not in keys]
    lines = []
    for key in keys:
        obs = scenario.observed.get(key)
        rep, rev = (obs.reported, obs.revised) if obs else (None, None)
        values = observed.values_of(frame, key, scenario)
        if values is None:
            continue
        dist = observed.distribution(values, obs and obs.headline)
        outcome = outcome_of(observed.columns_of(key)[0])
        lines.append(
            Line(
                key,
                outcome.unit if outcome else "",
                simulated_text(frame, key, scenario, values),
                observed.show(rep),
                observed.show(rev),
                observed.overlaps(dist, rep),
                observed.overlaps(dist, rev),
            )
        )
    return lines


def intensity_by_day(series: pd.DataFrame) -> pd.Series:
    """Median over runs of each day's mean fire intensity."""
    day = series["hour"] // 24
    per_run = series.groupby([series["run_id"], day])["intensity"].mean()
    return per_run.groupby(level=1).median().rename_axis("day")


def _mark(inside: bool | None) -> str:
    return "" if inside is None else ("yes" if inside else "NO")


def format_summary(scenario: Scenario, frame: pd.DataFrame, series: pd.DataFrame | None) -> str:
    lines = summarise(scenario, frame)
    width = max(len(line.outcome) for line in lines)
    unit_w = max(len("unit"), *(len(line.unit) for line in lines))
    sim_w = max(len(line.simulated) for line in lines)
    rep_w = max(10, *(len(line.reported) for line in lines))
    rev_w = max(8, *(len(line.revised) for line in lines))
    out = [
        f"{scenario.title}: {len(frame)} runs",
        f"{'outcome':<{width}}  {'unit':<{unit_w}}  {'simulated median [5 %, 95 %]':<{sim_w}}  "
        f"{'reported':>{rep_w}}  {'revised':>{rev_w}}  matches: reported  revised",
    ]
    for line in lines:
        out.append(
            f"{line.outcome:<{width}}  {line.unit:<{unit_w}}  {line.simulated:<{sim_w}}  "
            f"{line.reported:>{rep_w}}  {line.revised:>{rev_w}}  {_mark(line.inside):>17}  "
            f"{_mark(line.inside_revised):>7}".rstrip()
        )
    out += [f"censored: {note}" for note in censoring_notes(line.outcome for line in lines)]
    if series is not None and not series.empty:
        days = intensity_by_day(series)
        shown = ", ".join(f"day {d + 1}: {v:.2f}" for d, v in days.items() if d < 7)
        out.append(f"fire intensity (median of daily means): {shown}")
    missing = [k for k in scenario.observed if observed.values_of(frame, k, scenario) is None]
    if missing:
        out.append(f"observed but not modelled (no such outcome yet): {', '.join(missing)}")
    for which, attr in (("reported", "inside"), ("revised", "inside_revised")):
        covered = [getattr(line, attr) for line in lines if getattr(line, attr) is not None]
        if covered:
            out.append(
                f"{which} figures matching the ensemble (inside its 5–95 % range; categories "
                f"and yes/no: the modal answer): {sum(covered)} of {len(covered)}"
            )
    return "\n".join(out)
