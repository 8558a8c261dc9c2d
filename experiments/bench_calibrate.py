"""Cost of `escsim calibrate`: simulations per second, the share of time in the model vs in pyabc,
and the parallel efficiency on 2 workers (target ≥ 0.85).

The same small calibration (calibration/quick.toml's crisis, a fixed number of generations) runs on
one worker and on two; the populations are identical (the sampler is order-deterministic), so the
ratio of wall times is the speed-up. The model's share is the time of the same simulations run
directly, without pyabc, over the one-worker wall time.

    .venv/bin/python experiments/bench_calibrate.py [--population 60] [--generations 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyabc

from sim.calibration.config import load_calibration
from sim.calibration.fit import calibrate, generations, runs_per_proposal
from sim.calibration.report import posterior_frame
from sim.experiments.engines import engine
from sim.experiments.runner import simulate
from sim.scenario.loading import with_overrides

ROOT = Path(__file__).resolve().parent.parent


def config(folder: Path, population: int, gens: int) -> Path:
    text = (ROOT / "calibration" / "quick.toml").read_text(encoding="utf-8")
    text = text.replace("../scenarios/", f"{ROOT}/scenarios/")
    text = text.replace("population = 40", f"population = {population}")
    text = text.replace("max_generations = 3", f"max_generations = {gens}")
    path = folder / "bench.toml"
    path.write_text(text, encoding="utf-8")
    return path


def timed(path: Path, workers: int, out: Path) -> tuple[float, pyabc.History]:
    cal = load_calibration(path)
    eng = engine(workers)
    try:
        eng.submit(time.sleep, 0).result()  # start the pool outside the timing
        t0 = time.perf_counter()
        history = calibrate(cal, out, eng, report=lambda _: None)
        return time.perf_counter() - t0, history
    finally:
        eng.close()


def model_seconds(path: Path, history: pyabc.History) -> float:
    """Time of the model alone for as many runs, at the posterior's parameter values."""
    cal = load_calibration(path)
    scenario = next(iter(cal.crises.values()))
    params = posterior_frame(cal, history).iloc[0][[p.key for p in cal.priors]].to_dict()
    variant = with_overrides(scenario, params)
    runs = generations(history)[-1].total_proposals * runs_per_proposal(cal)
    sample = min(runs, 60)
    t0 = time.perf_counter()
    for i in range(sample):
        simulate(variant, i)
    return (time.perf_counter() - t0) / sample * runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=60)
    ap.add_argument("--generations", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = config(folder, args.population, args.generations)
        one, history = timed(path, 1, folder / "one")
        two, _ = timed(path, 2, folder / "two")
        sims = generations(history)[-1].total_proposals * runs_per_proposal(load_calibration(path))
        model = model_seconds(path, history)
    print(f"{sims} simulations ({args.generations} generations of {args.population} particles)")
    print(f"1 worker : {one:6.1f} s, {sims / one:5.1f} simulations/s")
    print(f"2 workers: {two:6.1f} s, {sims / two:5.1f} simulations/s")
    print(f"time in the model {model / one:.0%}, in pyabc and the driver {1 - model / one:.0%} (1 worker)")
    print(f"parallel efficiency on 2 workers: {one / (2 * two):.2f} (target ≥ 0.85)")


if __name__ == "__main__":
    main()
