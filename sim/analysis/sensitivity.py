"""Global sensitivity of outcomes to the parameters of a Saltelli or Morris experiment (SALib).

Sobol' first-order (S1) and total (ST) indices with bootstrap confidence intervals from a Saltelli
design (Saltelli et al. 2010); Morris elementary effects μ* and σ from a Morris design (Campolongo et
al. 2007). Replicates of a point are averaged first, so Y is the expected outcome at that point;
censored runs count as the outcome registry says (``sim.analysis.outcomes``), as everywhere.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.outcomes import as_numbers, censoring_notes, outcome_of
from sim.experiments.design import Experiment, design_points, salib_problem
from sim.experiments.results import load_outcomes, read_manifest
from sim.scenario.loading import ScenarioError, validate
from sim.scenario.schema import Scenario

DEFAULT_OUTCOMES = ("fighting_hours", "military_deaths", "territory_lost_km2", "displaced", "ceasefire_hour")


def load_sweep(results: str | Path) -> tuple[Experiment, Scenario, pd.DataFrame]:
    """A sweep's experiment, its scenario as run, and its outcome rows."""
    results = Path(results)
    manifest = read_manifest(results)
    if manifest is None:
        raise ScenarioError(f"{results}: no manifest.json — not a sweep results folder")
    if manifest["command"] != "sweep":
        raise ScenarioError(f"{results}: results of `escsim {manifest['command']}`, not of a sweep")
    scenario = validate(manifest["scenario"], Path(manifest["scenario_path"]))
    return Experiment.model_validate(manifest["experiment"]), scenario, load_outcomes(results)


def pick_outcomes(frame: pd.DataFrame, wanted: list[str] | None) -> list[str]:
    if wanted:
        numeric = [c for c in frame.columns if (o := outcome_of(c)) is not None and o.kind != "category"]
        wrong = [w for w in wanted if w not in numeric]
        if wrong:
            raise ScenarioError(
                f"outcome {', '.join(wrong)}: not a numeric or yes/no outcome column "
                f"(have {', '.join(numeric)})"
            )
        return wanted
    return [
        c
        for c in frame.columns
        if c.split(".")[0] in DEFAULT_OUTCOMES and frame[c].astype(float).nunique() > 1
    ]


def indices(exp: Experiment, scenario: Scenario, frame: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """One row per (outcome, parameter) with the indices and their confidence half-widths, and
    each outcome's ``noise_share``: how much of the variance between point means is replicate
    noise (the model's own randomness, which shows up as spurious total effects)."""
    from SALib.analyze import morris, sobol

    kind = exp.design.kind
    if kind not in ("saltelli", "morris"):
        raise ScenarioError(f"sensitivity needs a saltelli or morris design; this one is {kind!r}")
    problem = salib_problem(exp)
    points = design_points(exp)
    n_points = len(points)
    ok = frame[frame["error"].isna()]
    numbers = pd.DataFrame({c: as_numbers(ok, c, scenario) for c in outcomes})
    by_point = numbers.groupby(ok["point"])
    means = by_point.mean()
    noise = by_point.var().mean() / by_point.size().mean()  # variance of a point mean, from replicates
    if len(means) != n_points:
        raise ScenarioError(
            f"{n_points - len(means)} design points have no successful run; "
            "finish the sweep (rerun `escsim sweep`) first"
        )
    rows = []
    for col in outcomes:
        y = means[col].to_numpy()
        share = noise[col] / y.var(ddof=1) if y.var(ddof=1) > 0 else np.nan
        if kind == "saltelli":
            # a Generator, not the int: SALib leaves the intervals unseeded for a seed of 0
            res = sobol.analyze(problem, y, calc_second_order=False, seed=np.random.default_rng(exp.seed))
            keys = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            x = np.array([[p[n] for n in problem["names"]] for p in points])
            res = morris.analyze(problem, x, y, num_levels=exp.design.morris_levels, seed=exp.seed)
            keys = ("mu_star", "mu_star_conf", "sigma")
        for i, name in enumerate(problem["names"]):
            rows.append(
                {"outcome": col, "parameter": name, **{k: res[k][i] for k in keys}, "noise_share": share}
            )
    return pd.DataFrame(rows)


def format_indices(table: pd.DataFrame) -> str:
    lines = []
    sobol = "S1" in table
    for outcome, group in table.groupby("outcome", sort=False):
        share = group["noise_share"].iloc[0]
        noise = (
            "noise share n/a (one replicate per point)"
            if np.isnan(share)
            else f"noise share {share:.0%}: replicate noise in the variance of point means"
            + ("; add replicates before reading these" if share > 0.25 else "")
        )
        unit = outcome_of(outcome).unit or "share of runs"
        lines.append(f"\n{outcome} ({unit}; {noise})")
        if sobol:
            lines.append(f"  {'parameter':<44} {'S1 [95 % CI]':>22} {'ST [95 % CI]':>22}")
            for r in group.itertuples():
                lines.append(
                    f"  {r.parameter:<44} {r.S1:>8.3f} ± {r.S1_conf:<10.3f} {r.ST:>8.3f} ± {r.ST_conf:<10.3f}"
                )
        else:
            lines.append(f"  {'parameter':<44} {'mu* [95 % CI]':>22} {'sigma':>10}")
            for r in group.itertuples():
                lines.append(
                    f"  {r.parameter:<44} {r.mu_star:>10.3g} ± {r.mu_star_conf:<9.3g} {r.sigma:>10.3g}"
                )
    lines += ["", *(f"censored: {note}" for note in censoring_notes(table["outcome"]))]
    return "\n".join(lines).strip("\n")
