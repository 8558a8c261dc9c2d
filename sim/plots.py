"""Figures of an ensemble: outcome histograms with the reported value marked, a fan chart of each
state's rung over time, and cumulative deaths over time. PNG and SVG, labels in words with units."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.analysis import relevant_columns
from sim.ladder import LADDER
from sim.outcomes import CATEGORICAL
from sim.schema import Scenario

UNITS = {
    "ceasefire_hour": "hour of effective ceasefire (h from start)",
    "fighting_hours": "hours with fire exchanged (h)",
    "peak_rung": "highest rung reached",
    "military_deaths": "military deaths (people)",
    "civilian_deaths": "civilian deaths (people)",
    "displaced": "displaced civilians (people)",
    "territory_lost_km2": "territory lost (km²)",
    "deep_strikes": "strikes received behind the line (count)",
}


def _label(column: str, scenario: Scenario) -> str:
    measure, _, who = column.partition(".")
    name = scenario.states[who].name if who in scenario.states else who
    text = UNITS.get(measure, measure.replace("_", " "))
    return f"{name}: {text}" if name else text


def _save(fig, folder: Path, name: str) -> list[Path]:
    paths = [folder / f"{name}.png", folder / f"{name}.svg"]
    for p in paths:
        fig.savefig(p, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return paths


def outcome_histograms(scenario: Scenario, frame: pd.DataFrame, folder: Path) -> list[Path]:
    targets = scenario.targets.get(scenario.calibration_target, {})
    cols = [c for c in relevant_columns(scenario, frame) if frame[c].dtype != bool]
    ncol = 3
    nrow = max(1, -(-len(cols) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, col in zip(axes.flat, cols, strict=False):
        values = frame[col]
        target = targets.get(col)
        if col.split(".")[0] in CATEGORICAL:
            counts = values.value_counts(normalize=True)
            colors = ["tab:red" if target and str(target.value) == k else "tab:blue" for k in counts.index]
            ax.bar(counts.index.astype(str), counts.values, color=colors)
            ax.set_ylabel("share of runs")
            ax.tick_params(axis="x", labelrotation=30)
            ax.set_title(_label(col, scenario) + (" (red: reported)" if target else ""), fontsize=9)
            continue
        v = values.astype(float).dropna()
        ax.hist(v, bins=30, color="tab:blue", alpha=0.8)
        if target is not None and not isinstance(target.value, (bool, str)):
            ax.axvline(
                float(target.value),
                color="tab:red",
                lw=2,
                label=f"{scenario.calibration_target}: {target.value:,}",
            )
            ax.legend(fontsize=8)
        if v.size:
            ax.axvline(float(np.median(v)), color="black", ls="--", lw=1)
        ax.set_xlabel(_label(col, scenario), fontsize=9)
        ax.set_ylabel("runs")
    for ax in list(axes.flat)[len(cols) :]:
        ax.set_visible(False)
    fig.suptitle(f"{scenario.title}: outcomes of {len(frame)} runs (dashed: median)")
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    return _save(fig, folder, "outcomes")


def _fan(ax, hours: np.ndarray, matrix: np.ndarray, color: str, label: str) -> None:
    q = np.percentile(matrix, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(hours, q[0], q[4], color=color, alpha=0.15)
    ax.fill_between(hours, q[1], q[3], color=color, alpha=0.3)
    ax.plot(hours, q[2], color=color, lw=2, label=f"{label} (median; 50 % and 90 % bands)")


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
    targets = scenario.targets.get(scenario.calibration_target, {})
    for sid, color in zip(states, plt.cm.tab10.colors, strict=False):
        hours, m = _matrix(series, f"military_deaths.{sid}")
        _fan(ax, hours, m, color, scenario.states[sid].name)
        target = targets.get(f"military_deaths.{sid}")
        if target is not None:
            ax.axhline(
                float(target.value),
                color=color,
                ls=":",
                lw=1.5,
                label=f"{scenario.states[sid].name}: {scenario.calibration_target} {target.value:,}",
            )
    ax.set_xlabel(f"hours since {scenario.start:%d %b %Y %H:%M}")
    ax.set_ylabel("cumulative military deaths (people)")
    ax.legend(fontsize=8)
    ax.set_title("Cumulative military deaths")
    fig.tight_layout()
    return _save(fig, folder, "deaths")


def ensemble_plots(scenario: Scenario, frame: pd.DataFrame, series: pd.DataFrame, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    fighters = [
        s for s, spec in scenario.states.items() if spec.adversary is not None and spec.war_aim != "none"
    ]
    return [
        *outcome_histograms(scenario, frame, folder),
        *rung_fan(scenario, series, fighters, folder),
        *cumulative_deaths(scenario, series, fighters, folder),
    ]
