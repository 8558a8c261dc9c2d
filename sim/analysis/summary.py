"""Summaries of an ensemble: each outcome's statistic (from the outcome registry: median and 5–95 %
interval, share of runs, or modal category) beside the reported figure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.outcomes import (
    as_numbers,
    censored,
    censoring_notes,
    central,
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
    inside: bool | None  # reported figure inside the 5–95 % interval (None: no target)


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, (int, float)):
        return f"{value:,}"
    return str(value)


def relevant_columns(scenario: Scenario, frame: pd.DataFrame) -> list[str]:
    """Contract columns worth a line: those with a target, and those that vary across runs."""
    targeted = {c for table in scenario.targets.values() for c in table}
    return [
        col for col in outcome_columns(scenario) if col in targeted or frame[col].nunique(dropna=False) > 1
    ]


def summarise(scenario: Scenario, frame: pd.DataFrame) -> list[Line]:
    reported = {k: t.value for k, t in scenario.targets.get("reported", {}).items()}
    revised = {k: t.value for k, t in scenario.targets.get("revised", {}).items()}
    lines = []
    for col in relevant_columns(scenario, frame):
        values = frame[col]
        rep, rev = reported.get(col), revised.get(col)
        kind = outcome_of(col).kind
        inside: bool | None = None
        if kind == "category":
            sim_text = headline(frame, col, scenario)
            if rep is not None:
                inside = bool(values.value_counts(normalize=True).get(str(rep), 0.0) >= 0.05)
        elif kind == "boolean":
            share = central(as_numbers(frame, col, scenario), col)
            sim_text = f"{headline(frame, col, scenario)} of runs"
            if rep is not None:
                inside = bool(share >= 0.05 if rep else share <= 0.95)
        else:
            finite = as_numbers(frame, col, scenario).dropna()
            lo, hi = np.percentile(finite, [5, 95])
            sim_text = f"{headline(frame, col, scenario)} [{show(lo, col)}, {show(hi, col)}]"
            cut = censored(frame, col, scenario)
            if cut.any():
                sim_text += f"; censored {percent(cut.mean())}"
            if isinstance(rep, bool):
                inside = bool((finite > 0).mean() >= 0.5) == rep
            elif rep is not None:
                inside = bool(lo <= float(rep) <= hi)
        lines.append(Line(col, outcome_of(col).unit, sim_text, _show(rep), _show(rev), inside))
    return lines


def intensity_by_day(series: pd.DataFrame) -> pd.Series:
    """Median over runs of each day's mean fire intensity."""
    day = series["hour"] // 24
    per_run = series.groupby([series["run_id"], day])["intensity"].mean()
    return per_run.groupby(level=1).median().rename_axis("day")


def format_summary(scenario: Scenario, frame: pd.DataFrame, series: pd.DataFrame | None) -> str:
    lines = summarise(scenario, frame)
    width = max(len(line.outcome) for line in lines)
    unit_w = max(len("unit"), *(len(line.unit) for line in lines))
    sim_w = max(len(line.simulated) for line in lines)
    out = [
        f"{scenario.title}: {len(frame)} runs",
        f"{'outcome':<{width}}  {'unit':<{unit_w}}  {'simulated median [5 %, 95 %]':<{sim_w}}  "
        f"{'reported':>10}  {'revised':>8}  in interval",
    ]
    for line in lines:
        mark = "" if line.inside is None else ("yes" if line.inside else "NO")
        out.append(
            f"{line.outcome:<{width}}  {line.unit:<{unit_w}}  {line.simulated:<{sim_w}}  "
            f"{line.reported:>10}  {line.revised:>8}  {mark}".rstrip()
        )
    out += [f"censored: {note}" for note in censoring_notes(line.outcome for line in lines)]
    if series is not None and not series.empty:
        days = intensity_by_day(series)
        shown = ", ".join(f"day {d + 1}: {v:.2f}" for d, v in days.items() if d < 7)
        out.append(f"fire intensity (median of daily means): {shown}")
    covered = [line.inside for line in lines if line.inside is not None]
    if covered:
        out.append(f"reported figures inside the ensemble's 5–95 % range: {sum(covered)} of {len(covered)}")
    return "\n".join(out)
