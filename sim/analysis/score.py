"""Scoring scenarios against what was observed: for each crisis and each entry of its
``[observed]`` table, the ensemble's median and 5–95 % interval, whether the reported and the revised
figures match it (see sim/analysis/observed.py), and the ratio median/observed; totals per crisis
and overall. A score is a measurement, not a test: nothing here fails on a poor fit.

Works on any scenario with an ``[observed]`` table; an observable whose outcome column the model does
not produce is counted as "not modelled" and left out of the shares.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from sim.analysis import observed
from sim.analysis.outcomes import label, outcome_of
from sim.analysis.plots import _save, distribution_panel
from sim.calibration.posterior import Posterior
from sim.experiments.runner import run_ensemble
from sim.experiments.storage import atomic_folder, now, provenance, refuse_foreign, write_json
from sim.scenario.loading import ScenarioWarning, load_scenario
from sim.scenario.schema import Scenario

SCORED, NOT_MODELLED, NOT_COMPARABLE = "scored", "not modelled", "not comparable"


@dataclass(frozen=True)
class Line:
    """One observable of one crisis (a not-modelled one keeps the defaults)."""

    crisis: str
    observable: str
    status: str  # scored; not modelled (no such outcome column); not comparable (kinds differ)
    reported: str
    revised: str
    kind: str = ""  # numeric, categorical, binary
    simulated: str = ""  # the ensemble as text: "median [5 %, 95 %]", "modal (share)", "share of runs"
    median: float = math.nan
    low: float = math.nan
    high: float = math.nan
    modal: str | None = None
    modal_share: float = math.nan
    match_reported: bool | None = None
    match_revised: bool | None = None
    match: bool | None = None  # the headline: the reported figure's match, else the revised one's
    ratio_reported: float = math.nan  # median / reported figure (NaN if not a positive number or range)
    ratio_revised: float = math.nan
    ratio_basis: str = ""  # "value", "geometric mean of range" or "midpoint of range"
    within_3: bool | None = None  # reported (else revised) ratio within a factor of 3


def score_scenario(name: str, scenario: Scenario, frame: pd.DataFrame) -> list[Line]:
    """The score lines of one crisis from its ensemble's outcome rows."""
    lines = []
    for key, obs in scenario.observed.items():
        rep, rev = observed.show(obs.reported), observed.show(obs.revised)
        values = observed.values_of(frame, key, scenario)
        if values is None:
            lines.append(Line(name, key, NOT_MODELLED, rep, rev))
            continue
        dist = observed.distribution(values, obs.headline)
        m_rep, m_rev = observed.overlaps(dist, obs.reported), observed.overlaps(dist, obs.revised)
        r_rep, r_rev = observed.ratio(dist, obs.reported), observed.ratio(dist, obs.revised)
        lines.append(
            Line(
                name,
                key,
                SCORED if (m_rep, m_rev) != (None, None) else NOT_COMPARABLE,
                rep,
                rev,
                kind=dist.kind,
                simulated=dist.text(),
                median=dist.median,
                low=dist.low,
                high=dist.high,
                modal=dist.modal,
                modal_share=dist.shares[0][1] if dist.shares else math.nan,
                match_reported=m_rep,
                match_revised=m_rev,
                match=observed.overlaps(dist, obs.headline),
                ratio_reported=r_rep,
                ratio_revised=r_rev,
                ratio_basis=observed.point(obs.headline)[1],
                within_3=observed.within_factor(observed.ratio(dist, obs.headline)),
            )
        )
    return lines


def score_frame(lines: Sequence[Line]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(line) for line in lines], columns=list(Line.__dataclass_fields__))
    for col in ("match_reported", "match_revised", "match", "within_3"):
        frame[col] = frame[col].astype("boolean")
    return frame


def _share(column: pd.Series) -> tuple[int, int]:
    known = column.dropna()
    return int(known.sum()), len(known)


def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per crisis and overall: how many observables match (headline, reported, revised), how many
    medians lie within a factor of 3, and how many observables are not modelled or not comparable."""
    rows = []
    groups = [*table.groupby("crisis", sort=False), ("all", table)]
    for crisis, part in groups:
        row: dict[str, object] = {"crisis": crisis, "observables": len(part)}
        for col in ("match", "match_reported", "match_revised", "within_3"):
            row[col], row[f"{col}_of"] = _share(part[col])
        row["not_modelled"] = int(part["status"].eq(NOT_MODELLED).sum())
        row["not_comparable"] = int(part["status"].eq(NOT_COMPARABLE).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _mark(value) -> str:
    return "" if value is None or value is pd.NA else ("yes" if value else "NO")


def _ratio(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.2f}"


def format_score(table: pd.DataFrame, sums: pd.DataFrame) -> str:
    """The score table as text: one line per observable, then the totals."""
    head = ("crisis", "observable", "simulated median [5 %, 95 %]", "reported", "revised", "match",
            "rev.", "median/rep.", "median/rev.")  # fmt: skip
    body = [
        (
            r.crisis,
            r.observable,
            r.simulated if r.status != NOT_MODELLED else "(not modelled)",
            r.reported,
            r.revised,
            _mark(r.match_reported),
            _mark(r.match_revised),
            _ratio(r.ratio_reported),
            _ratio(r.ratio_revised),
        )
        for r in table.itertuples()
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    right = {3, 4, 7, 8}

    def fmt(cells) -> str:
        return "  ".join(
            f"{c:>{w}}" if i in right else f"{c:<{w}}"
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [fmt(head), *map(fmt, body), ""]
    for s in sums.itertuples():
        out.append(
            f"{s.crisis}: {s.match} of {s.match_of} observables match "
            f"(reported {s.match_reported}/{s.match_reported_of}, revised "
            f"{s.match_revised}/{s.match_revised_of}); medians within ×3 of the figure: "
            f"{s.within_3} of {s.within_3_of}; not modelled: {s.not_modelled}"
            + (f"; not comparable: {s.not_comparable}" if s.not_comparable else "")
        )
    out.append(
        "match: the figure (or range) overlaps the 5–95 % interval; categories and yes/no: the modal "
        "answer. Ratios: median / figure (geometric mean of a range; its midpoint if it starts at 0)."
    )
    return "\n".join(out)


def crisis_figure(name: str, scenario: Scenario, frame: pd.DataFrame, lines: Sequence[Line], folder: Path):
    """One figure per crisis: each modelled observable's distribution with its observed figures."""
    shown = [line for line in lines if line.status != NOT_MODELLED]
    ncol = 3
    nrow = max(1, -(-len(shown) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol, 3.1 * nrow), squeeze=False)
    for ax, line in zip(axes.flat, shown, strict=False):
        values = observed.values_of(frame, line.observable, scenario)
        key = line.observable
        title = label(key, scenario) if key in frame and outcome_of(key) else key
        distribution_panel(ax, values, scenario.observed[key], title)
        verdict = " / ".join(
            f"{which} {_mark(m)}"
            for which, m in (("reported", line.match_reported), ("revised", line.match_revised))
            if m is not None
        )
        ax.text(0.98, 0.97, verdict, transform=ax.transAxes, ha="right", va="top", fontsize=7)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    missing = [line.observable for line in lines if line.status == NOT_MODELLED]
    title = f"{scenario.title}: {len(frame)} runs against the observed figures (dashed: median)"
    if missing:
        title += f"\nnot modelled: {', '.join(missing)}"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(fig, folder, f"score-{name}")


@dataclass(frozen=True)
class ScoreResult:
    table: pd.DataFrame
    totals: pd.DataFrame
    text: str


def crisis_names(paths: Sequence[str | Path], scenarios: Sequence[Scenario]) -> list[str]:
    """Each crisis's name in the table: its scenario name, or its file name if names repeat."""
    names = [s.name for s in scenarios]
    return names if len(set(names)) == len(names) else [Path(p).stem for p in paths]


def score(
    paths: Sequence[str | Path],
    runs: int,
    seed: int,
    out: Path,
    workers: int = 1,
    progress: Callable[[Sequence], Sequence] = lambda items: items,
    posterior: Posterior | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> ScoreResult:
    """Run each scenario's ensemble (with ``overrides`` applied to every scenario: a shared
    parameter tried across the library) and score it; write the runs, the score (Parquet, CSV,
    text), the totals and one figure per crisis to ``out`` (all or nothing)."""
    started = now()
    overrides = dict(overrides or {})
    scenarios = [load_scenario(p, overrides) for p in paths]  # all valid before any run
    for path, scenario in zip(paths, scenarios, strict=True):
        if not scenario.observed:
            warnings.warn(
                f"{path}: no [observed] table, so nothing of it is scored (see the README's "
                "'Writing a new crisis from a fact sheet')",
                ScenarioWarning,
                stacklevel=2,
            )
    refuse_foreign(Path(out), _written_by_score)  # and the folder ours to write
    names = crisis_names(paths, scenarios)
    frames = [run_ensemble(s, runs, seed, workers, posterior=posterior) for s in progress(scenarios)]
    lines = [
        line
        for name, s, f in zip(names, scenarios, frames, strict=True)
        for line in score_scenario(name, s, f)
    ]
    table = score_frame(lines)
    sums = totals(table)
    text = format_score(table, sums)
    with atomic_folder(out, _written_by_score) as tmp:
        for name, s, f in zip(names, scenarios, frames, strict=True):
            f.to_parquet(tmp / f"outcomes-{name}.parquet", index=False)
            crisis_figure(name, s, f, [ln for ln in lines if ln.crisis == name], tmp / "plots")
        table.to_parquet(tmp / "score.parquet", index=False)
        table.to_csv(tmp / "score.csv", index=False)
        sums.to_csv(tmp / "totals.csv", index=False)
        (tmp / "score.txt").write_text(text + "\n", encoding="utf-8")
        write_json(
            tmp / "manifest.json",
            {
                "runs": runs,
                "seed": seed,
                "workers": workers,
                "overrides": {k: str(v) for k, v in overrides.items()},
                "crises": {
                    name: provenance(s, str(p), started)
                    for name, s, p in zip(names, scenarios, paths, strict=True)
                },
            },
        )
    return ScoreResult(table, sums, text)


def _written_by_score(path: Path) -> bool:
    """Whether a file in an existing results folder is one ``score`` writes (and may replace)."""
    name = path.as_posix()
    return name in ("manifest.json", "score.parquet", "score.csv", "score.txt", "totals.csv") or (
        name.startswith(("outcomes-", "plots/score-")) and "/" not in name.removeprefix("plots/")
    )
