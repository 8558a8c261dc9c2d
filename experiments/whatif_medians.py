"""The main outcomes of the baseline and each what-if, side by side (the README table), each with
the outcome registry's statistic and censoring, so the figures equal those of `escsim run`/`compare`.

Every scenario runs with the same ensemble seed, so run i of each uses the same seed (common random
numbers): differences come from the what-if, not from luck.

    python experiments/whatif_medians.py [--runs 500] [--seed 1] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import sim
from sim.analysis.outcomes import censored, headline, percent

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = [ROOT / "scenarios/sept2022.toml", *sorted((ROOT / "scenarios/whatif").glob("*.toml"))]
COLUMNS = {  # outcome column: heading; each cell is the registry's statistic as every command prints it
    "fighting_hours": "fighting h",
    "ceasefire_hour": "ceasefire hour",
    "military_deaths.ARM": "ARM mil. deaths",
    "military_deaths.AZE": "AZE mil. deaths",
    "territory_lost_km2.ARM": "ARM km² lost",
    "displaced.ARM": "ARM displaced",
    "full_war": "full war",
    "alliance_response.CSTO": "CSTO response (modal)",
    "ceasefire_broker": "broker (modal)",
    "failed_ceasefires": "failed ceasefires",
    "concession.ARM": "ARM concession (modal)",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rows, base = [], None
    for path in SCENARIOS:
        scenario = sim.load_scenario(path)
        df = sim.run_ensemble(scenario, args.runs, args.seed, args.workers)
        base = df if base is None else base
        row = {"scenario": scenario.name}
        row |= {label: headline(df, col, scenario) for col, label in COLUMNS.items()}
        row["no ceasefire (censored)"] = percent(censored(df, "ceasefire_hour", scenario).mean())
        # paired by seed: how far the what-if keeps each run's luck (common random numbers)
        paired = df["fighting_hours"].astype(float).corr(base["fighting_hours"].astype(float))
        row["corr. fighting h"] = f"{paired:.2f}"
        rows.append(row)
    print(f"Over {args.runs} runs, seed {args.seed}: medians; shares of runs in %\n")
    print(markdown(pd.DataFrame(rows)))


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
