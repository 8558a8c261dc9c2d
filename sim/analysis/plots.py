"""Figures of an ensemble: outcome histograms with the observed values marked, a fan chart of each
state's rung over time, and cumulative deaths over time. PNG and SVG, labels in words with units."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis import observed
from sim.analysis.outcomes import as_numbers, censored, label, outcome_of, percent
from sim.analysis.summary import relevant_columns
from sim.experiments.storage import atomic_file
from sim.model.ladder import LADDER
from sim.model.parties import belligerents
from sim.scenario.schema import Observed, Scenario, unit_of


def _save(fig, folder: Path, name: str) -> list[Path]:
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    for p in paths:
        atomic_file(
            p, lambda tmp, kind=p.suffix[1:]: fig.savefig(tmp, format=kind, dpi=120, bbox_inches="tight")
        )
    plt.close(fig)
    return paths


OBSERVED_STYLE = {"reported": ("tab:red", 0.25), "revised": ("tab:orange", 0.2)}


def mark_observed(ax, obs: Observed | None) -> None:
    """Mark an observed number (a line) or range (a band) on a histogram, reported and revised."""
    if obs is None:
        return
    figures = [getattr(obs, which) for which in OBSERVED_STYLE]
    figures = [v for v in figures if observed.is_range(v) or observed.is_number(v)]
    marked = [float(x) for v in figures for x in np.atleast_1d(v)]
    edge = max([ax.get_xlim()[1], *filter(math.isfinite, marked)]) * 1.05 + 1.0  # an open range's end
    for which, (color, alpha) in OBSERVED_STYLE.items():
        value = getattr(obs, which)
        text = f"{which}: {observed.show(value)}"
        if observed.is_range(value):
            low, high = float(value[0]), float(value[1])
            if not math.isfinite(high):
                high = edge
                ax.set_xlim(right=edge)
            ax.axvspan(low, high, color=color, alpha=alpha, label=text)
        elif observed.is_number(value):
            ax.axvline(float(value), color=color, lw=2, label=text)


def distribution_panel(ax, values: pd.Series, obs: Observed | None, title: str) -> None:
    """One observable's distribution over runs with its observed figures marked: a histogram for
    numbers, bars of shares for categories and yes/no answers (red: reported, orange: revised)."""
    dist = observed.distribution(values, obs and obs.headline)
    if dist.kind != "numeric":
        names = [k for k, _ in dist.shares]
        wanted = {}
        for which in ("revised", "reported"):  # reported wins where both name the same category
            value = getattr(obs, which) if obs else None
            if isinstance(value, bool):
                value = "yes" if value else "no"
            for k in (value,) if isinstance(value, str) else (value or ()):
                wanted[str(k)] = OBSERVED_STYLE[which][0]
        ax.bar(names, [v for _, v in dist.shares], color=[wanted.get(k, "tab:blue") for k in names])
        missing = [k for k in wanted if k not in names]  # observed but never simulated
        if missing:
            ax.bar(missing, [0.0] * len(missing))
            for k in missing:
                ax.annotate("0 %", (k, 0.0), color=wanted[k], ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("share of runs")
        ax.tick_params(axis="x", labelrotation=30)
        ax.set_title(title + (" (red: reported, orange: revised)" if wanted else ""), fontsize=8)
        return
    v = values.astype(float).dropna()
    ax.hist(v, bins=30, color="tab:blue", alpha=0.8)
    mark_observed(ax, obs)
    if v.size:
        ax.axvline(float(np.median(v)), color="black", ls="--", lw=1)
    if obs is not None and (observed.is_number(obs.headline) or observed.is_range(obs.headline)):
        ax.legend(fontsize=7)
    ax.set_xlabel(title, fontsize=9)
    ax.set_ylabel("runs")


def outcome_histograms(scenario: Scenario, frame: pd.DataFrame, folder: Path) -> list[Path]:
    cols = [c for c in relevant_columns(scenario, frame) if outcome_of(c).kind != "boolean"]
    ncol = 3
    nrow = max(1, -(-len(cols) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, col in zip(axes.flat, cols, strict=False):
        numeric = outcome_of(col).kind != "category"
        values = as_numbers(frame, col, scenario) if numeric else frame[col]
        distribution_panel(ax, values, scenario.observed.get(col), label(col, scenario))
        cut = censored(frame, col, scenario).mean()
        if cut:
            ax.set_title(f"censored: {percent(cut)} of runs (see summary)", fontsize=8)
    for ax in list(axes.flat)[len(cols) :]:
        ax.set_visible(False)
    fig.suptitle(f"{scenario.title}: outcomes of {len(frame)} runs (dashed: median)")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return _save(fig, folder, "outcomes")


def _fan(ax, hours: np.ndarray, matrix: np.ndarray, color: str, name: str) -> None:
    q = np.percentile(matrix, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(hours, q[0], q[4], color=color, alpha=0.15)
    ax.fill_between(hours, q[1], q[3], color=color, alpha=0.3)
    ax.plot(hours, q[2], color=color, lw=2, label=f"{name} (median; 50 % and 90 % bands)")


def _matrix(series: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    wide = series.pivot(index="run_id", columns="hour", values=column)
    return wide.columns.to_numpy(), wide.to_numpy(dtype=float)


def rung_fan(scenario: Scenario, series: pd.DataFrame, states: list[str], folder: Path) -> list[Path]:
    fig, axes = plt.subplots(len(states), 1, figsize=(10, 2.6 * len(states)), sharex=True, squeeze=False)
    for ax, sid, color in zip(axes[:, 0], states, plt.cm.tab10.colors, strict=False):
        hours, m = _matrix(series, f"rung.{sid}")
        _fan(ax, hours, m, color, scenario.states[sid].name)
        ax.set_yticks(range(len(LADDER)))
        ax.set_yticklabels([f"{r.rung} {r.rung.name.replace('_', ' ').lower()}" for r in LADDER], fontsize=8)
        ax.set_ylim(-0.2, len(LADDER) - 0.8)
        ax.legend(fontsize=8, loc="upper right")
    axes[-1, 0].set_xlabel(f"hours since {scenario.start:%d %b %Y %H:%M}")
    fig.suptitle("Escalation rung over time")
    fig.tight_layout()
    return _save(fig, folder, "rungs")


def cumulative_deaths(
    scenario: Scenario, series: pd.DataFrame, states: list[str], folder: Path
) -> list[Path]:
    fig, ax = plt.subplots(figsize=(10, 4))
    for sid, color in zip(states, plt.cm.tab10.colors, strict=False):
        hours, m = _matrix(series, f"military_deaths.{sid}")
        _fan(ax, hours, m, color, scenario.states[sid].name)
        obs = scenario.observed.get(f"military_deaths.{sid}")
        for which, ls in (("reported", ":"), ("revised", "-.")):
            value = getattr(obs, which) if obs else None
            label = f"{scenario.states[sid].name}: {which} {observed.show(value)}"
            if observed.is_range(value):
                ax.axhspan(float(value[0]), float(value[1]), color=color, alpha=0.15, label=label)
            elif observed.is_number(value):
                ax.axhline(float(value), color=color, ls=ls, lw=1.5, label=label)
    ax.set_xlabel(f"hours since {scenario.start:%d %b %Y %H:%M}")
    ax.set_ylabel("cumulative military deaths (people)")
    ax.legend(fontsize=8)
    ax.set_title("Cumulative military deaths")
    fig.tight_layout()
    return _save(fig, folder, "deaths")


def ensemble_plots(scenario: Scenario, frame: pd.DataFrame, series: pd.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fighters = belligerents(scenario)
    return [
        *outcome_histograms(scenario, frame, folder),
        *rung_fan(scenario, series, fighters, folder),
        *cumulative_deaths(scenario, series, fighters, folder),
    ]


# --- sweeps, comparisons, sensitivity -----------------------------------------------------------
def _param_label(key: str) -> str:
    """`mediators.USA.arrival_hour` → `USA arrival hour (h)`: the last two parts, with the unit."""
    words = " ".join(key.split(".")[-2:]).replace("_", " ")
    unit = unit_of(key)
    return f"{words} ({unit})" if unit else words


def sweep_distributions(
    frame: pd.DataFrame, params: list[str], outcomes: list[str], scenario: Scenario, folder: Path
) -> list[Path]:
    """Per outcome, its distribution at each design point: violins for a few points, else each
    point's median against each parameter."""
    frame = frame.assign(**{c: as_numbers(frame, c, scenario) for c in outcomes})
    points = frame.groupby("point")
    paths = []
    for col in outcomes:
        if len(points) <= 40:
            fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(points) + 2), 4))
            data = [g[col].astype(float).dropna().to_numpy() for _, g in points]
            keep = [i for i, d in enumerate(data) if d.size]
            ax.violinplot([data[i] for i in keep], positions=keep, showmedians=True)
            values = points[params].first()
            ax.set_xticks(
                range(len(values)),
                [" / ".join(f"{v:g}" for v in row) for row in values.itertuples(index=False)],
                rotation=90,
                fontsize=7,
            )
            ax.set_xlabel("design point: " + " / ".join(_param_label(p) for p in params))
            ax.set_ylabel(label(col, scenario))
            ax.set_title(f"{label(col, scenario)} across design points")
        else:
            med = points[[*params, col]].median(numeric_only=True)
            fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params), 3.4), squeeze=False)
            for ax, p in zip(axes[0], params, strict=True):
                ax.scatter(med[p], med[col], s=10, alpha=0.7)
                ax.set_xlabel(_param_label(p))
            axes[0, 0].set_ylabel(f"median {label(col, scenario)}")
            fig.suptitle(f"{label(col, scenario)}: median per design point")
        fig.tight_layout()
        paths += _save(fig, folder, f"dist_{col}")
    return paths


def heatmap(
    frame: pd.DataFrame, x: str, y: str, outcome: str, scenario: Scenario, folder: Path, bins: int = 8
) -> list[Path]:
    """The median (or, for a yes/no outcome, the probability) of ``outcome`` over two parameters."""
    data = frame[[x, y]].copy()
    for key in (x, y):
        if data[key].nunique() > bins:
            data[key] = pd.cut(data[key].astype(float), bins).map(lambda iv: round(iv.mid, 3))
    binary = outcome_of(outcome).kind == "boolean"
    data["v"] = as_numbers(frame, outcome, scenario)
    table = data.pivot_table(
        index=y, columns=x, values="v", aggfunc="mean" if binary else "median", observed=True
    )
    fig, ax = plt.subplots(figsize=(7, 5))
    im = ax.imshow(table.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns], rotation=45)
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
    ax.set_xlabel(_param_label(x))
    ax.set_ylabel(_param_label(y))
    what = (
        f"share of runs with {label(outcome, scenario)}" if binary else f"median {label(outcome, scenario)}"
    )
    fig.colorbar(im, ax=ax, label=what)
    ax.set_title(what)
    fig.tight_layout()
    return _save(fig, folder, f"heatmap_{outcome}")


def sweep_fans(
    series: pd.DataFrame,
    frame: pd.DataFrame,
    scenario: Scenario,
    states: list[str],
    folder: Path,
    most: int = 6,
) -> list[Path]:
    """Rung fan charts for up to ``most`` design points (evenly spread over the design)."""
    points = sorted(frame["point"].unique())
    chosen = [points[i] for i in np.linspace(0, len(points) - 1, min(most, len(points))).astype(int)]
    ids = frame.set_index("run_id")["point"]
    series = series.assign(point=series["run_id"].map(ids))
    fig, axes = plt.subplots(len(chosen), 1, figsize=(10, 2.2 * len(chosen)), sharex=True, squeeze=False)
    for ax, p in zip(axes[:, 0], chosen, strict=True):
        part = series[series["point"] == p]
        for sid, color in zip(states, plt.cm.tab10.colors, strict=False):
            hours, m = _matrix(part, f"rung.{sid}")
            _fan(ax, hours, m, color, scenario.states[sid].name)
        ax.set_ylabel(f"point {p}\nrung")
        ax.set_ylim(-0.2, len(LADDER) - 0.8)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel(f"hours since {scenario.start:%d %b %Y %H:%M}")
    fig.suptitle("Escalation rung over time at selected design points")
    fig.tight_layout()
    return _save(fig, folder, "rungs_by_point")


def comparison(
    frames: list[pd.DataFrame], names: list[str], outcomes: list[str], scenario: Scenario, folder: Path
) -> list[Path]:
    """Distributions of each outcome, scenarios side by side."""
    ncol = 3
    nrow = max(1, -(-len(outcomes) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.5 * ncol, 3.2 * nrow), squeeze=False)
    for ax, col in zip(axes.flat, outcomes, strict=False):
        data = [as_numbers(f, col, scenario).dropna().to_numpy() for f in frames]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(names) + 1), names, rotation=20, fontsize=8)
        ax.set_ylabel(label(col, scenario), fontsize=8)
    for ax in list(axes.flat)[len(outcomes) :]:
        ax.set_visible(False)
    fig.suptitle("Outcomes by scenario (same seeds; boxes: quartiles, whiskers: 1.5 IQR)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return _save(fig, folder, "comparison")


def sensitivity_bars(table: pd.DataFrame, scenario: Scenario, folder: Path) -> list[Path]:
    sobol = "S1" in table
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(len(outcomes), 1, figsize=(9, 2.6 * len(outcomes)), squeeze=False)
    for ax, outcome in zip(axes[:, 0], outcomes, strict=True):
        g = table[table["outcome"] == outcome]
        y = np.arange(len(g))
        labels = [_param_label(p) for p in g["parameter"]]
        if sobol:
            ax.barh(y - 0.2, g["S1"], 0.4, xerr=g["S1_conf"], label="first order S1")
            ax.barh(y + 0.2, g["ST"], 0.4, xerr=g["ST_conf"], label="total ST")
            ax.set_xlabel("Sobol' index (share of variance)")
        else:
            ax.barh(y, g["mu_star"], 0.6, xerr=g["mu_star_conf"], label="μ* (mean |effect|)")
            ax.set_xlabel(f"Morris μ* ({outcome_of(outcome).unit or 'share of runs'})")
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_title(label(outcome, scenario), fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _save(fig, folder, "sensitivity")
