"""Simulation-based calibration (Talts et al. 2018) of `escsim calibrate` on a cheap configuration.

For each of N synthetic truths drawn from the prior: simulate the (24-hour) Sept 2022 crisis once
at the truth, take its outcomes as the observations, calibrate, and record the rank of the truth
among posterior draws. If the method is calibrated, the ranks are uniform; a U shape means
over-confident posteriors, a hump under-confident ones.

    .venv/bin/python experiments/sbc_calibrate.py [--truths 50] [--workers 2] [--out results/sbc]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.calibration.config import load_calibration
from sim.calibration.fit import calibrate, prior_rv
from sim.calibration.report import posterior_frame
from sim.experiments.engines import engine
from sim.experiments.runner import run_ensemble
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
KEY = "combat.aimed_rate"
OBSERVED = ("military_deaths.ARM", "military_deaths.AZE", "fighting_hours")
DRAWS = 19  # posterior draws per truth: ranks 0..19


def files(folder: Path, seen: dict[str, float], seed: int) -> Path:
    (folder / "short.toml").write_text(
        f'extends = "{ROOT / "scenarios" / "sept2022.toml"}"\nname = "short"\nhorizon_hours = 24\n'
        + "".join(f'[observed."{k}"]\nreported = {v!r}\n' for k, v in seen.items()),
        encoding="utf-8",
    )
    path = folder / "sbc.toml"
    path.write_text(
        f'name = "sbc"\ncrises = ["short.toml"]\npopulation = 30\nseed = {seed}\n'
        f'[parameters."{KEY}"]\nprior = "loguniform"\nlow = 1e-4\nhigh = 1e-3\n'
        f"[distance]\nobservables = {list(OBSERVED)!r}\n[stop]\nmax_generations = 2\n",
        encoding="utf-8",
    )
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truths", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="results/sbc")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    eng = engine(args.workers)
    ranks = []
    try:
        for i in range(args.truths):
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp)
                placeholder = files(folder, dict.fromkeys(OBSERVED, 0), i)
                prior = prior_rv(load_calibration(placeholder).priors[0]).distribution
                truth = float(prior.ppf(rng.uniform()))
                scenario = load_scenario(folder / "short.toml", {KEY: truth})
                row = run_ensemble(scenario, 1, 1000 + i).iloc[0]
                cal = load_calibration(files(folder, {c: float(row[c]) for c in OBSERVED}, i))
                post = posterior_frame(cal, calibrate(cal, folder / "out", eng, report=lambda _: None))
                draws = rng.choice(post[KEY].to_numpy(), size=DRAWS, p=post["weight"].to_numpy())
                ranks.append(int(np.sum(draws < truth)))
                print(f"truth {i}: {KEY} = {truth:.3e}, rank {ranks[-1]}/{DRAWS}", flush=True)
    finally:
        eng.close()
    pd.DataFrame({"rank": ranks}).to_csv(out / "sbc_ranks.csv", index=False)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(ranks, bins=np.arange(DRAWS + 2) - 0.5, color="C0", alpha=0.7)
    expected = len(ranks) / (DRAWS + 1)
    ax.axhline(expected, color="k", lw=1, label="uniform (calibrated)")
    ax.set_xlabel(f"rank of the truth among {DRAWS} posterior draws ({KEY})")
    ax.set_ylabel("truths")
    ax.set_title(f"Simulation-based calibration, {len(ranks)} synthetic truths")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "sbc_ranks.png", dpi=110)
    print(f"ranks in {out}/sbc_ranks.csv, figure {out}/sbc_ranks.png")


if __name__ == "__main__":
    main()
