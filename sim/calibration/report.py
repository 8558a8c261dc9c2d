"""What a calibration found: posterior samples, credible intervals and shrinkage, the posterior
predictive check, plots, and a scenario fragment with the posterior medians.

Everything lands in ``DIR/posterior/``, written whole or not at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyabc

from sim.calibration.config import Calibration
from sim.calibration.fit import abc_rv, observations, prior_rv, weighted_quantiles
from sim.calibration.observations import Observation
from sim.calibration.summaries import Simulator, excess, simulated
from sim.experiments.engines import Engine, stream
from sim.experiments.runner import run_seed
from sim.experiments.storage import atomic_folder

STAYS_AT_PRIOR = 0.25  # shrinkage below this: the observations say little about the parameter


def posterior_frame(cal: Calibration, history: pyabc.History) -> pd.DataFrame:
    """The last generation's particles: one column per parameter (scenario values, by key), then
    weight and generation."""
    params, w = history.get_distribution(m=0, t=history.max_t)
    frame = pd.DataFrame({p.key: p.natural(params[p.name].to_numpy(dtype=float)) for p in cal.priors})
    frame["weight"] = np.asarray(w) / np.sum(w)
    frame["generation"] = history.max_t
    return frame


def credible_table(cal: Calibration, post: pd.DataFrame) -> pd.DataFrame:
    """Prior range and 90 % interval vs the posterior's 90 % credible interval, with the shrinkage
    1 − (posterior width / prior width), the widths on the prior's own scale (log10 for a
    log-uniform prior: ruling out its lowest decade is as much learning as ruling out its highest)."""
    rows = []
    w = post["weight"].to_numpy()
    for p in cal.priors:
        rv = prior_rv(p).distribution
        lo90, hi90 = float(rv.ppf(0.05)), float(rv.ppf(0.95))
        x = post[p.key].to_numpy()
        q5, q50, q95 = (float(q) for q in weighted_quantiles(x, w, np.array([0.05, 0.5, 0.95])))
        scale = np.log10 if p.kind == "loguniform" else np.asarray
        shrink = 1.0 - float(np.diff(scale([q5, q95]))[0] / np.diff(scale([lo90, hi90]))[0])
        rows.append(
            {
                "parameter": p.key,
                "prior": p.kind,
                "prior_low": p.low,
                "prior_high": p.high,
                "prior_5%": lo90,
                "prior_95%": hi90,
                "posterior_5%": q5,
                "posterior_median": q50,
                "posterior_95%": q95,
                "shrinkage": shrink,
                "verdict": "stays at its prior" if shrink < STAYS_AT_PRIOR else "identified",
            }
        )
    return pd.DataFrame(rows)


def _predict(sim: Simulator, batch: list[tuple[int, dict, int]]) -> list[tuple[int, dict]]:
    return [(i, sim.outcomes(params, base)) for i, params, base in batch]


def predictive_rows(
    cal: Calibration, post: pd.DataFrame, eng: Engine, crises: Mapping
) -> tuple[pd.DataFrame, dict[str, list[dict]]]:
    """One run of each crisis for each of ``predictive`` parameter sets drawn from the posterior by
    weight (seeded by the calibration seed): the drawn parameters and each crisis's runs, in draw
    order."""
    draws = cal.spec.predictive
    rng = np.random.default_rng(np.random.SeedSequence(cal.spec.seed, spawn_key=(2**31 - 1,)))
    picks = rng.choice(len(post), size=draws, p=post["weight"].to_numpy())
    keys = [p.key for p in cal.priors]
    tasks = [
        (i, {k: float(post[k].iloc[j]) for k in keys}, run_seed(cal.spec.seed, 2**31 - 1, i))
        for i, j in enumerate(picks)
    ]
    sim = Simulator(crises, [], 1)
    found: dict[int, dict] = {}
    for batch in stream(eng, _predict, [tasks[i : i + 10] for i in range(0, draws, 10)], sim):
        found.update(batch)
    rows: dict[str, list[dict]] = {name: [] for name in crises}
    for i in range(draws):
        for name, runs in found[i].items():
            rows[name] += runs
    return pd.DataFrame([params for _, params, _ in tasks]), rows


def identification(
    params: pd.DataFrame, obs: list[Observation], rows: dict[str, list[dict]], crises: Mapping
) -> pd.DataFrame:
    """Spearman correlation, across the posterior predictive draws, of each parameter with each
    numeric observable: which observables move with which parameter where the posterior lies."""
    frames = {name: pd.DataFrame(runs) for name, runs in rows.items()}
    found = {}
    for o in obs:
        if o.numeric:
            values = pd.Series(simulated(o, frames, crises), dtype=float).reset_index(drop=True)
            if values.nunique() > 1:  # a constant observable moves with nothing
                found[o.key] = params.corrwith(values, method="spearman")
    return pd.DataFrame(found, index=params.columns).fillna(0.0)


def moved_by(rho: pd.DataFrame, key: str, threshold: float = 0.3, most: int = 3) -> str:
    """The observables a parameter moves most (|ρ| ≥ threshold), strongest first."""
    if rho.empty or key not in rho.index:
        return ""
    row = rho.loc[key].abs().sort_values(ascending=False)
    return ", ".join(f"{k} ({rho.loc[key, k]:+.2f})" for k in row[row >= threshold].index[:most])


def check(obs: Observation, sims: list) -> dict:
    """Posterior predictive check of one observable: median, 90 % interval and predictive p-value.

    The p-value is two-sided for numbers — 2·min(P(sim ≤ obs), P(sim ≥ obs)), an interval counting
    as ≤ and ≥ inside — and P(sim matches) for a category or yes/no; the observable is covered when
    p ≥ 0.10 (inside the 90 % predictive interval).
    """
    e = np.array([excess(obs, v) for v in sims])
    if obs.numeric:
        x = np.array(sims, dtype=float)
        q5, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        p = min(1.0, 2 * min(np.mean(e >= 0), np.mean(e <= 0)))
        low, high = obs.value
        shown = f"{low:g}" if low == high else f"{low:g}–{high:g}"
        median, interval = f"{q50:.4g}", f"[{q5:.4g}, {q95:.4g}]"
    else:
        p = float(np.mean(e == 0))
        counts = pd.Series([str(v) for v in sims]).value_counts(normalize=True)
        shown = " or ".join(sorted(obs.value)) if isinstance(obs.value, frozenset) else str(obs.value)
        median, interval = str(counts.index[0]), f"{p:.0%} match"
    return {
        "crisis": obs.crisis,
        "observable": obs.column,
        "observed": shown,
        "predictive_median": median,
        "predictive_90%": interval,
        "p_value": float(p),
        "covered": bool(p >= 0.10),
    }


def ppc_table(obs: list[Observation], rows: dict[str, list[dict]], crises: Mapping) -> pd.DataFrame:
    frames = {name: pd.DataFrame(runs) for name, runs in rows.items()}
    return pd.DataFrame([check(o, simulated(o, frames, crises)) for o in obs])


def plots(cal: Calibration, post: pd.DataFrame, folder: Path) -> None:
    """Marginals (weighted histogram, prior density) and pairwise scatter on pyabc's scale
    (log10 for log-uniform parameters), the prior's range as the axes' limits."""
    w = post["weight"].to_numpy()
    n = len(cal.priors)
    axis = {p.name: np.log10(post[p.key]) if p.kind == "loguniform" else post[p.key] for p in cal.priors}
    limits = {p.name: abc_rv(p).distribution.support() for p in cal.priors}
    fig, axes = plt.subplots(n, n, figsize=(2.6 * n + 1, 2.6 * n + 1), squeeze=False)
    for i, p in enumerate(cal.priors):
        for j, q in enumerate(cal.priors):
            ax = axes[i][j]
            if i == j:
                grid = np.linspace(*limits[p.name], 200)
                ax.hist(
                    axis[p.name],
                    bins=np.linspace(*limits[p.name], 31),
                    weights=w,
                    density=True,
                    alpha=0.6,
                    label="posterior",
                )
                ax.plot(grid, abc_rv(p).distribution.pdf(grid), color="k", lw=1, label="prior")
                ax.set_xlim(*limits[p.name])
                if i == 0:
                    ax.legend(fontsize=7)
            elif i > j:
                ax.scatter(axis[q.name], axis[p.name], s=4 + 400 * w, alpha=0.5)
                ax.set_xlim(*limits[q.name])
                ax.set_ylim(*limits[p.name])
            else:
                ax.axis("off")
            if i == n - 1:
                ax.set_xlabel(q.name, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(p.name, fontsize=8)
            ax.tick_params(labelsize=6)
    fig.suptitle(f"{cal.name}: posterior (generation {int(post['generation'].iloc[0])}) and prior")
    fig.tight_layout()
    fig.savefig(folder / "posterior.png", dpi=110)
    plt.close(fig)


def scenario_fragment(cal: Calibration, table: pd.DataFrame, out_file: Path) -> str:
    """Posterior medians as a scenario fragment; it extends the crises' common base file, if any."""
    bases = {
        (cal.files[name].parent / base).resolve()
        for name in cal.crises
        if (base := _extends(cal.files[name])) is not None
    }
    lines = [
        f"# Posterior medians of calibration `{cal.name}` ({cal.path}); 90 % credible intervals in comments.",
        '# A scenario uses them with `extends = "<this file>"`.',
    ]
    if len(bases) == 1:
        lines.append(f'extends = "{os.path.relpath(bases.pop(), out_file.parent)}"')
    groups: dict[str, list[str]] = {}
    for row in table.to_dict("records"):
        table_name, _, leaf = row["parameter"].rpartition(".")
        groups.setdefault(table_name, []).append(
            f"{leaf} = {row['posterior_median']:.6g}  "
            f"# 90 % CI [{row['posterior_5%']:.4g}, {row['posterior_95%']:.4g}]; {row['verdict']}"
        )
    for name, entries in groups.items():
        lines += ["", f"[{name}]", *entries]
    return "\n".join(lines) + "\n"


def _extends(path: Path) -> str | None:
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8")).get("extends")


def format_table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4g}")


REPORT_FILES = ("posterior.parquet", "credible.csv", "ppc.csv", "identification.csv", "report.txt")


def _ours(name: str, path: Path) -> bool:
    """Whether a file in ``posterior/`` is one a report writes (a resumed calibration replaces it)."""
    return len(path.parts) == 1 and (
        path.name in REPORT_FILES or path.name == f"{name}.toml" or path.suffix in (".png", ".svg")
    )


def write_report(
    cal: Calibration,
    history: pyabc.History,
    out: Path,
    eng: Engine,
    held_out: Calibration | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``out/posterior/``; return the credible-interval table and the predictive check (of
    the held-out crises when ``held_out`` is given: the out-of-sample check)."""
    post = posterior_frame(cal, history)
    table = credible_table(cal, post)
    target = held_out or cal
    obs = observations(target)
    params, rows = predictive_rows(cal, post, eng, target.crises)
    ppc = ppc_table(obs, rows, target.crises)
    rho = identification(params, obs, rows, target.crises)
    table["moves"] = [moved_by(rho, p.key) for p in cal.priors]
    with atomic_folder(out / "posterior", partial(_ours, cal.name)) as tmp:
        post.to_parquet(tmp / "posterior.parquet", index=False)
        table.to_csv(tmp / "credible.csv", index=False)
        ppc.to_csv(tmp / "ppc.csv", index=False)
        rho.rename_axis("parameter").to_csv(tmp / "identification.csv")
        (tmp / "report.txt").write_text(
            format_table(table) + "\n\n" + format_table(ppc) + "\n", encoding="utf-8"
        )
        fragment = tmp / f"{cal.name}.toml"
        fragment.write_text(
            scenario_fragment(cal, table, out / "posterior" / fragment.name), encoding="utf-8"
        )
        plots(cal, post, tmp)
    return table, ppc
