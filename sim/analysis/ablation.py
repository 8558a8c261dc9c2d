"""Ablation: the baseline with each mechanism switched off, against all on, paired by seed.

Each ``[mechanisms]`` switch is turned off in turn (``mechanisms.<name> = false``); the runs share
their seeds with the baseline's (common random numbers), and ``sim.analysis.compare`` gives each
outcome's difference (of medians; of shares of runs for events) with its paired bootstrap
interval. The table keeps the outcomes that say what the mechanism does: fighting hours, mediated
and unilateral ceasefires, failed ceasefires, concessions, treaty invocations, deep strikes,
military and civilian deaths, territory lost and displaced. A switch acts only where its mechanism
has something to act on (a rout needs a lopsided front, mobilisation reserves, need-based invocation
a member stronger than its attacker): measure each on a scenario that has it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from sim.analysis.compare import compare, paired_difference
from sim.experiments.runner import run_ensemble
from sim.experiments.storage import atomic_folder, now, provenance, refuse_foreign, write_json
from sim.scenario.loading import with_overrides
from sim.scenario.schema import Mechanisms, Scenario

WRITTEN = ("ablation.csv", "ablation.md", "manifest.json")


def _written_by_ablate(path: Path) -> bool:
    """Whether a file in an existing results folder is one ``ablate`` writes (and may replace)."""
    return path.as_posix() in WRITTEN


def variants(scenario: Scenario) -> dict[str, Scenario]:
    """One scenario per mechanism that is on in ``scenario``, with that mechanism off."""
    on = [k for k, v in scenario.mechanisms.model_dump().items() if v and k in Mechanisms.model_fields]
    return {k: with_overrides(scenario, {f"mechanisms.{k}": False}, f"mechanisms.{k}=false") for k in on}


def indicators(frame: pd.DataFrame, scenario: Scenario) -> dict[str, tuple[str, pd.Series]]:
    """Yes/no events the table reports, by name: (the categorical column it reads, per run)."""
    out = {
        "mediated ceasefire": (
            "ceasefire_broker",
            ~frame["ceasefire_broker"].isin(["tacit", "none", "bilateral", "unilateral"]),
        ),
        "unilateral ceasefire": ("ceasefire_broker", frame["ceasefire_broker"].eq("unilateral")),
    }
    for sid in scenario.states:
        out[f"concession by {sid}"] = (f"concession.{sid}", frame[f"concession.{sid}"].ne("none"))
    for aid in scenario.alliances:
        out[f"{aid} invoked"] = (
            f"alliance_response.{aid}",
            frame[f"alliance_response.{aid}"].ne("not_invoked"),
        )
    return out


def table(scenario: Scenario, base: pd.DataFrame, offs: dict[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    """Rows: (mechanism off, outcome, baseline value, value with it off, paired difference, CI) —
    medians for numbers, shares of runs for events, as ``sim.analysis.compare`` reports them."""
    keep = {"fighting_hours", "failed_ceasefires"} | {f"deep_strikes.{s}" for s in scenario.states}
    keep |= {
        f"{o}.{s}"
        for o in ("military_deaths", "territory_lost_km2", "civilian_deaths", "displaced")
        for s in scenario.states
    }
    rows = []
    for name, off in offs.items():
        for r in compare(scenario, [base, off], seed)[0]:
            if r.outcome in keep:
                rows.append((name, r.outcome, *r.values, r.difference, r.low, r.high))
        ind_b, ind_o = indicators(base, scenario), indicators(off, scenario)
        for label, (column, yes) in ind_b.items():
            a, b = yes.to_numpy(float), ind_o[label][1].to_numpy(float)
            rows.append((name, label, a.mean(), b.mean(), *paired_difference(a, b, column, seed)))
    return pd.DataFrame(
        rows,
        columns=["mechanism_off", "outcome", "baseline", "off", "paired_difference", "ci_low", "ci_high"],
    )


def markdown(frame: pd.DataFrame) -> str:
    """One row per mechanism switched off, one column per outcome that moves in some row: the
    paired difference (off − on) and its 95 % interval; the first row gives the baseline's value
    (median for counts and hours, share of runs for events)."""
    moves = frame.groupby("outcome", sort=False)[["ci_low", "ci_high"]].agg(lambda x: (x != 0).any())
    outcomes = [o for o, r in moves.iterrows() if r.any()]
    head = "| mechanism off | " + " | ".join(outcomes) + " |"
    lines = [head, "|---" * (len(outcomes) + 1) + "|"]
    base = frame.drop_duplicates("outcome").set_index("outcome")["baseline"]
    lines.append("| (baseline value) | " + " | ".join(f"{base[o]:.2f}" for o in outcomes) + " |")
    for name, rows in frame.groupby("mechanism_off", sort=False):
        by = rows.set_index("outcome")
        cells = [
            f"{by.at[o, 'paired_difference']:+.2f} [{by.at[o, 'ci_low']:+.2f}, {by.at[o, 'ci_high']:+.2f}]"
            if o in by.index
            else "±0 (constant)"
            for o in outcomes
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ablate(
    scenario: Scenario,
    source: str | Path,
    runs: int,
    seed: int,
    out: Path,
    workers: int = 1,
    progress: Callable[[Iterable], Iterable] = lambda items: items,
) -> str:
    """Run the baseline and each variant (``variants``) with the same seeds, write the table
    (``ablation.csv``), its markdown (``ablation.md``) and a manifest to ``out`` (all or nothing),
    and return the markdown."""
    refuse_foreign(Path(out), _written_by_ablate)  # before the first run
    started = now()
    runs_of = {"baseline": scenario, **variants(scenario)}
    frames = {name: run_ensemble(s, runs, seed, workers) for name, s in progress(runs_of.items())}
    base = frames.pop("baseline")
    rows = table(scenario, base, frames, seed)
    text = markdown(rows)
    with atomic_folder(out, _written_by_ablate) as tmp:
        rows.to_csv(tmp / "ablation.csv", index=False)
        (tmp / "ablation.md").write_text(text + "\n", encoding="utf-8")
        write_json(
            tmp / "manifest.json",
            {"runs": runs, "seed": seed, "workers": workers, **provenance(scenario, str(source), started)},
        )
    return text
